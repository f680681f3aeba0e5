// expect: job/yield@18 job/yield@19 job/yield@20 job/yield@21
// Bare yield, and yield* of things that are not calls of stages, jobs or all().
import { defineJob, defineStage } from "../../core/index.ts";

export const one = defineStage({
  name: "one", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: () => 1,
});

function plain(x: number): number[] {
  return [x];
}

export const yields = defineJob({
  name: "yields",
  *run(x: number) {
    yield x;
    yield;
    const a = yield* [1, 2, 3];
    const b = yield* plain(x);
    const c = yield* one(null);
    return [a, b, c];
  },
});
