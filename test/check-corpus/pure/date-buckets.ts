// expect: none
// Group events into UTC days/hours: new Date(timestampFromInput), getUTC*, toISOString, Date.UTC. No clock is read.
import { defineStage } from "../../../core/index.ts";

export const byDay = defineStage({
  name: "pure-date-buckets", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 2e-6, outputBytes: () => 2_048 },
  run: (events: Array<{ ts: number; kind: string }>) => {
    const days = new Map<string, number[]>();
    for (const e of events) {
      const d = new Date(e.ts);
      const dayStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      const key = new Date(dayStart).toISOString().slice(0, 10);
      const hours = days.get(key) ?? new Array<number>(24).fill(0);
      hours[d.getUTCHours()] = (hours[d.getUTCHours()] ?? 0) + 1;
      days.set(key, hours);
    }
    return [...days].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([day, hours]) => ({ day, hours }));
  },
});
