// expect: none
// Billing periods: month arithmetic with Date.UTC on a start timestamp from the input, getUTCDay for weekends, toISOString output.
import { defineStage } from "../../../core/index.ts";

const DAY_MS = 86_400_000;

export const periods = defineStage({
  name: "pure-billing-periods", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 0.1, outputBytes: () => 1_024 },
  run: ({ startMs, months }: { startMs: number; months: number }) => {
    const start = new Date(startMs);
    const out: Array<{ from: string; to: string; days: number; weekendDays: number }> = [];
    for (let m = 0; m < months; m++) {
      const from = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + m, 1);
      const to = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + m + 1, 1);
      let weekendDays = 0;
      for (let t = from; t < to; t += DAY_MS) {
        const wd = new Date(t).getUTCDay();
        if (wd === 0 || wd === 6) weekendDays++;
      }
      out.push({ from: new Date(from).toISOString(), to: new Date(to - 1).toISOString(), days: Math.round((to - from) / DAY_MS), weekendDays });
    }
    return out;
  },
});
