// expect: purity/this@34
// `this` in methods, getters and constructors of classes (and object literals) declared inside the
// pure function refers to an instance the function made: allowed. A method-style run's own `this` is not.
import { defineStage } from "../../core/index.ts";

export const total = defineStage({
  name: "total", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (n) => n, outputBytes: () => 8 },
  run: (xs: number[]) => {
    class Acc {
      total = 0;
      add(x: number) { this.total += x; }
    }
    const a = new Acc();
    for (const x of xs) a.add(x);
    const V = class {
      constructor(readonly v: number) {}
      get twice() { return this.v * 2; }
    };
    const counter = { n: 0, add(x: number) { this.n += x; } };
    xs.forEach((x) => counter.add(x));
    return a.total + xs.map((x) => new V(x).twice).length + counter.n;
  },
});

export const selfish = defineStage({
  name: "selfish", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run(x: number) {
    class Inner {
      get x() { return x; }
    }
    const arrow = () => new Inner().x;
    return arrow() + (this as unknown as { version: number }).version;
  },
});
