// expect: purity/clock@13 purity/random@14 purity/unknown-call@14 purity/host@15 purity/io@16 purity/outer-read@17 purity/io@23 purity/io@28 purity/unknown-call@28
// Reflect.get on sensitive globals, Intl.DateTimeFormat (current time and zone), WeakRef (GC), and
// reads of a module-level let that the module reassigns.
import { defineStage } from "../../core/index.ts";

export let scale = 1;
export function configure(s: number): void { scale = s; }
const getNow = Reflect.get(Date, "now") as () => number;
const fixed = 2;
export const extras = defineStage({
  name: "extras", version: 1, caps: ["cpu"], timeoutMs: 10, cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (x: number[]) => [
    getNow(),
    (Reflect.get(Math, "random") as () => number)(),
    new Intl.DateTimeFormat("en").format(),
    new WeakRef(x).deref() === undefined,
    scale * fixed,
  ],
});

export const whereAmI = defineStage({
  name: "where-am-i", version: 1, caps: ["cpu"], timeoutMs: 10, cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (x: number) => `${import.meta.url}#${x}`,
});

export const waiter = defineStage({
  name: "waiter", version: 1, caps: ["cpu"], timeoutMs: 10, cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (n: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, n),
});
