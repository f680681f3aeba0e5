// expect: purity/random@14 purity/clock@15
// Jobs are replayed, so they are pure too: randomness and the clock in a job body.
import { defineJob, defineStage } from "../../core/index.ts";

export const work = defineStage({
  name: "work", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (x: number) => x * 2,
});

export const flaky = defineJob({
  name: "flaky",
  *run(x: number) {
    if (Math.random() < 0.5) return 0;
    const deadline = Date.now() + 1000;
    return (yield* work(x)) + deadline;
  },
});
