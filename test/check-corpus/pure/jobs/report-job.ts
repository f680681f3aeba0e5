// expect: none
// A reporting job: normalises its input rows in place, calls stages in a loop and via a helper generator,
// and edits the objects the stages returned before returning them.
import { type Step, all, defineJob, defineStage } from "../../../../core/index.ts";

type Row = { region: string; amount: number };

export const sumRows = defineStage({
  name: "pure-job-sum-rows", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 1e-6, outputBytes: () => 64 },
  run: (rows: Row[]) => ({ total: rows.reduce((s, r) => s + r.amount, 0), count: rows.length, note: "" }),
});

export const formatMoney = defineStage({
  name: "pure-job-format-money", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 0.01, outputBytes: () => 32 },
  run: (cents: number) => `${cents < 0 ? "-" : ""}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, "0")}`,
});

function* summarise(rows: Row[]): Step<{ total: number; count: number; note: string }> {
  const s = yield* sumRows(rows);
  s.note = yield* formatMoney(s.total);
  return s;
}

export const regionReport = defineJob({
  name: "pure-job-region-report",
  *run(rows: Row[]) {
    for (const r of rows) {
      r.region = r.region.trim().toUpperCase() || "UNKNOWN";
      r.amount = Math.round(r.amount);
    }
    const regions = [...new Set(rows.map((r) => r.region))].sort();
    const parts = yield* all(regions.map((g) => sumRows(rows.filter((r) => r.region === g))));
    parts.forEach((p, i) => { p.note = regions[i]!; });
    const overall = yield* summarise(rows);
    overall.count = parts.length;
    return { overall, parts };
  },
});
