// expect: purity/random@8
// Cost functions feed the scheduler and must be deterministic too; an imported cost model is resolved.
import { defineStage } from "../../core/index.ts";
import { linear } from "./lib/costs.ts";

export const jittery = defineStage({
  name: "jittery", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (n) => n * (1 + Math.random()), outputBytes: (n) => n },
  run: (x: number) => x,
});

export const shared = defineStage({
  name: "shared", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: linear,
  run: (x: number) => x,
});
