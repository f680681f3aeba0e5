// expect: purity/host@13 purity/host@14
// Rounding a timestamp down to "midnight": setHours and getTimezoneOffset use the host's zone.
// The UTC setters and arithmetic on epoch milliseconds are fine.
import { defineStage } from "../../../../core/index.ts";

const DAY_MS = 86_400_000;

export const dayBoundary = defineStage({
  name: "day-boundary", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 48 },
  run: (input: { ts: number }) => {
    const local = new Date(input.ts);
    local.setHours(0, 0, 0, 0);
    const offsetMin = new Date(input.ts).getTimezoneOffset();
    const utc = new Date(input.ts);
    utc.setUTCHours(0, 0, 0, 0);
    const floor = input.ts - (input.ts % DAY_MS);
    return { local: local.getTime(), offsetMin, utc: utc.getTime(), floor, same: floor === utc.getTime() };
  },
});
