// expect: purity/host@16
// Bucketing events by hour of day: getHours() reads local time, which follows the host's time
// zone even for a fixed timestamp. getUTCHours() does not.
import { defineStage } from "../../../../core/index.ts";

interface Event { id: string; ts: number; kind: "view" | "click" }

export const hourlyHistogram = defineStage({
  name: "hourly-histogram", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (bytes) => bytes / 10_000, outputBytes: () => 24 * 16 },
  run: (events: Event[]) => {
    const local = new Array<number>(24).fill(0);
    const utc = new Array<number>(24).fill(0);
    for (const e of events) {
      const d = new Date(e.ts);
      local[d.getHours()]! += 1;
      utc[d.getUTCHours()]! += 1;
    }
    const busiest = utc.indexOf(Math.max(...utc));
    return { local, utc, busiest, clicks: events.filter((e) => e.kind === "click").length };
  },
});
