// expect: none
// A diamond of sub-jobs (top -> left, right -> bottom) is not a cycle.
import { all, defineJob, defineStage } from "paxflow";

export const base = defineStage({
  name: "base", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 1 },
  run: (n: number) => n + 1,
});
export const bottom = defineJob({ name: "bottom", *run(n: number) { return yield* base(n); } });
export const left = defineJob({ name: "left", *run(n: number) { return yield* bottom(n); } });
export const right = defineJob({ name: "right", *run(n: number) { return yield* bottom(n + 1); } });
export const top = defineJob({
  name: "top",
  *run(n: number) {
    const [a, b] = yield* all(left(n), right(n));
    return a + b;
  },
});
