// expect: purity/host@13 purity/host@14 purity/host@15 purity/host@16
// A weekly report keyed by local calendar fields: getDay, getDate, getMonth and getFullYear are
// local time. The getUTC* variants are fine.
import { defineStage } from "../../../../core/index.ts";

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

export const weekKey = defineStage({
  name: "week-key", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { ts: number }) => {
    const d = new Date(input.ts);
    const weekday = WEEKDAYS[d.getDay()];
    const day = d.getDate();
    const month = d.getMonth() + 1;
    const year = d.getFullYear();
    const utcKey = `${d.getUTCFullYear()}-${d.getUTCMonth() + 1}-${d.getUTCDate()}`;
    const utcWeekday = WEEKDAYS[d.getUTCDay()];
    return { local: `${year}-${month}-${day} ${weekday}`, utcKey, utcWeekday };
  },
});
