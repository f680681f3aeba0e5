// expect: purity/outer-write@14 purity/outer-write@16
// `a ?? b` and `cond ? a : b` choose between two parts of the input; writing the chosen object
// writes the input. Choosing between copies is fine.
import { defineStage } from "../../../../core/index.ts";

interface RetryPolicy { retries: number; backoffMs: number }
interface Call { override?: RetryPolicy; defaults: RetryPolicy; critical: boolean }

export const effectiveRetry = defineStage({
  name: "effective-retry", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 32 },
  run: (call: Call) => {
    const policy = call.override ?? call.defaults;
    policy.retries = Math.min(policy.retries, 5);
    const base = call.critical ? call.defaults : policy;
    base.backoffMs *= 2;
    const chosen = call.override ? { ...call.override } : { ...call.defaults };
    chosen.retries = Math.min(chosen.retries, 5);
    chosen.backoffMs *= 2;
    return chosen;
  },
});
