// expect: none
// Jobs: yield* of a helper generator, of a conditional between calls, of a call bound to a const,
// all() over a mapped list, and a loop of stage calls.
import { type Step, all, defineJob, defineStage } from "../../core/index.ts";

export const inc = defineStage({
  name: "inc", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 0.01, outputBytes: () => 8 },
  run: (x: number) => x + 1,
});
export const dec = defineStage({
  name: "dec", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 0.01, outputBytes: () => 8 },
  run: (x: number) => x - 1,
});

function* incTwice(x: number): Step<number> {
  const y = yield* inc(x);
  return yield* inc(y);
}

export const shapes = defineJob({
  name: "shapes",
  *run(xs: number[]) {
    let acc = 0;
    for (const x of xs) acc += yield* (x > 0 ? inc(x) : dec(x));
    const pending = inc(acc);
    const one = yield* pending;
    const many = yield* all(xs.map((x) => inc(x)));
    const two = yield* incTwice(one);
    return many.reduce((a, b) => a + b, two);
  },
});
