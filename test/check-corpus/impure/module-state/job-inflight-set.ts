// expect: purity/outer-write@23 purity/outer-write@25
// Jobs deduplicating through a module-level Set: has/add/delete read and write state shared by
// every job run in the isolate. A Set built inside the job is fine.
import { defineJob, defineStage } from "../../../../core/index.ts";

const inFlight = new Set<string>();

export const chargeCard = defineStage({
  name: "charge-card", version: 1, caps: ["cpu"], timeoutMs: 1000,
  cost: { runtimeMs: () => 50, outputBytes: () => 64 },
  run: (c: { paymentId: string; cents: number }) => ({ paymentId: c.paymentId, status: c.cents > 0 ? "ok" : "skipped" }),
});

export const settlePayments = defineJob({
  name: "settle-payments",
  *run(batch: { paymentId: string; cents: number }[]) {
    const seen = new Set<string>();
    const results = [];
    for (const p of batch) {
      if (seen.has(p.paymentId)) continue;
      seen.add(p.paymentId);
      if (inFlight.has(p.paymentId)) continue;
      inFlight.add(p.paymentId);
      results.push(yield* chargeCard(p));
      inFlight.delete(p.paymentId);
    }
    return results;
  },
});
