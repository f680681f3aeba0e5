// expect: purity/clock@12 purity/random@17 purity/unreadable@23 purity/random@26 purity/unreadable@28 purity/random@33 purity/unreadable@42 purity/clock@46
// run (or a job's run) that is not an inline or named function: a sensitive global is judged as
// that global, and anything the checker cannot read (a call result, an opaque spread) is an error.
import { defineJob, defineStage } from "../../core/index.ts";

declare const makeSpec: () => object;
let calls = 0;
const counted = <I, O>(f: (i: I) => O) => (i: I): O => { calls++; return f(i); };
const cost = { runtimeMs: () => 1, outputBytes: () => 8 };

export const now = defineStage({
  name: "now", version: 1, caps: ["cpu"], timeoutMs: 10, cost, run: Date.now,
});

const rand = Math.random;
export const random = defineStage({
  name: "random", version: 1, caps: ["cpu"], timeoutMs: 10, cost, run: rand,
});

export const sqrt = defineStage({ name: "sqrt", version: 1, caps: ["cpu"], timeoutMs: 10, cost, run: Math.sqrt });

export const wrapped = defineStage({
  name: "wrapped", version: 1, caps: ["cpu"], timeoutMs: 10, cost, run: counted((x: number) => x + calls),
});

const base = { run: (x: number) => x + Math.random() };
export const spreadRun = defineStage({ name: "spread-run", version: 1, caps: ["cpu"], timeoutMs: 10, cost, ...base });
export const opaqueRun = defineStage({
  name: "opaque-run", version: 1, caps: ["cpu"], timeoutMs: 10, cost, ...(makeSpec() as { run: (x: number) => number }),
});

const jobBase = { run: function* (x: number) {
  return x + Math.random();
} };
export const spreadJob = defineJob({ name: "spread-job", ...jobBase });

function* named(x: number) {
  return x;
}
export const namedJob = defineJob({ name: "named-job", run: named });

export const factoryJob = defineJob({ name: "factory-job", run: counted(named) });

export const costNow = defineStage({
  name: "cost-now", version: 1, caps: ["cpu"], timeoutMs: 10, run: (x: number) => x,
  cost: { runtimeMs: performance.now, outputBytes: () => 8 },
});
