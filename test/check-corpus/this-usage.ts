// expect: purity/this@9 purity/this@14
// `this` in a method-style run and in a helper reached from a job.
import { defineJob, defineStage } from "../../core/index.ts";

export const selfish = defineStage({
  name: "selfish", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run(x: number) {
    return x + (this as unknown as { version: number }).version;
  },
});

function describe(this: { name: string } | void, x: number): string {
  return `${(this as { name: string } | undefined)?.name}:${x}`;
}

export const describer = defineJob({
  name: "describer",
  *run(x: number) {
    const y = yield* selfish(x);
    return describe(y);
  },
});
