// expect: job/cycle@16:warning job/cycle@25:warning job/cycle@32
// Recursion on smaller inputs (merge sort on halves) is a warning, and so is `stuck`, whose same-input
// self-call sits behind an early return; tick -> tock, always passing its input on, is an error.
import { type Job, type Step, all, defineJob, defineStage } from "../../core/index.ts";

export const merge = defineStage({
  name: "merge", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: (n) => n, outputBytes: (n) => n },
  run: ([a, b]: number[][]) => [...a!, ...b!].sort((x, y) => x - y),
});

export const sortJob: Job<number[], number[]> = defineJob({
  name: "sort", *run(xs: number[]): Step<number[]> {
    if (xs.length <= 1) return xs;
    const mid = xs.length >> 1;
    const [l, r] = yield* all(sortJob(xs.slice(0, mid)), sortJob(xs.slice(mid)));
    return yield* merge([l!, r!]);
  },
});

export const stuck: Job<number, number> = defineJob({
  name: "stuck",
  *run(n: number): Step<number> {
    if (n > 0) return n;
    return yield* stuck(n);
  },
});

export const tick: Job<number, number> = defineJob({
  name: "tick",
  *run(n: number): Step<number> {
    return yield* tock(n);
  },
});

export const tock: Job<number, number> = defineJob({
  name: "tock",
  *run(n: number): Step<number> {
    return yield* tick(n);
  },
});
