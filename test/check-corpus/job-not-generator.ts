// expect: job/not-generator@13 job/not-generator@18 job/not-generator@29 job/not-generator@34 job/not-generator@39
// Job bodies must be generator functions.
import { defineJob, defineStage } from "../../core/index.ts";

export const id = defineStage({
  name: "id", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (x: number) => x,
});

export const arrowJob = defineJob({
  name: "arrow-job",
  run: (x: number) => id(x),
});

export const fnJob = defineJob({
  name: "fn-job",
  run: function (x: number) {
    return id(x);
  },
});

function notAGenerator(x: number) {
  return id(x);
}

export const refJob = defineJob({
  name: "ref-job",
  run: notAGenerator,
});

export const methodJob = defineJob({
  name: "method-job",
  run(x: number) {
    return id(x);
  },
});

export const noRun = defineJob({ name: "no-run" } as never);
