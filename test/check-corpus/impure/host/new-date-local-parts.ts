// expect: purity/host@12 purity/host@13
// new Date(y, m, d) with two or more numbers builds a LOCAL time, so the timestamp moves with the
// host's time zone. new Date(Date.UTC(...)) and new Date(epochMs) are fine.
import { defineStage } from "../../../../core/index.ts";

interface Subscription { id: string; startYear: number; startMonth: number }

export const billingWindow = defineStage({
  name: "billing-window", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (s: Subscription) => {
    const fiscalStart = new Date(2024, 0, 1).getTime();
    const start = new Date(s.startYear, s.startMonth - 1);
    const utcStart = new Date(Date.UTC(s.startYear, s.startMonth - 1, 1));
    const utcEnd = new Date(utcStart.getTime() + 30 * 86_400_000);
    const epoch = new Date(0).toISOString();
    return {
      id: s.id, fiscalStart, local: start.getTime(), from: utcStart.toISOString(), to: utcEnd.toISOString(), epoch,
    };
  },
});
