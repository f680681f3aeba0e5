// expect: none
// Helpers imported from a relatively imported project module (followed and checked), named and namespace imports.
import { defineStage } from "../../core/index.ts";
import * as pm from "./lib/pure-math.ts";
import { helpers, mean, variance } from "./lib/pure-math.ts";

export const describe = defineStage({
  name: "describe", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (n) => n * 1e-5, outputBytes: () => 24 },
  run: (xs: number[]) => ({ mean: mean(xs), variance: variance(xs), norm: helpers.norm(xs), tau: pm.TAU, t: pm.helpers.twice(1) }),
});
