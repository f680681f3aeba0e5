// expect: purity/host@12 purity/host@16
// Importing a legacy CSV whose dates look like "2024/01/02": Date.parse of a non-ISO string is
// implementation-defined (and local time). Splitting the fields and using Date.UTC is fine.
import { defineStage } from "../../../../core/index.ts";

interface Row { date: string; amount: string }

export const importLegacyCsv = defineStage({
  name: "import-legacy-csv", version: 1, caps: ["cpu"], timeoutMs: 200,
  cost: { runtimeMs: (bytes) => bytes / 5_000, outputBytes: (bytes) => bytes },
  run: (rows: Row[]) => {
    const cutoff = Date.parse("2024/01/02");
    return rows.map((r) => {
      const [y, m, d] = r.date.split("/").map(Number);
      const at = Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1);
      const loose = Date.parse(r.date);
      return { at, loose, late: at >= cutoff, cents: Math.round(Number(r.amount) * 100) };
    });
  },
});
