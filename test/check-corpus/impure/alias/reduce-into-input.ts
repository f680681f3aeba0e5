// expect: purity/outer-write@13
// reduce whose initial accumulator is the input's own totals object: the reducer writes the
// input. Starting from a fresh object (or a spread of the totals) is fine.
import { defineStage } from "../../../../core/index.ts";

interface Ledger { totals: Record<string, number>; entries: { account: string; cents: number }[] }

export const postEntries = defineStage({
  name: "post-entries", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (bytes) => bytes / 10_000, outputBytes: (bytes) => bytes },
  run: (ledger: Ledger) => {
    const merged = ledger.entries.reduce((acc, e) => {
      acc[e.account] = (acc[e.account] ?? 0) + e.cents;
      return acc;
    }, ledger.totals);
    const fresh = ledger.entries.reduce<Record<string, number>>((acc, e) => {
      acc[e.account] = (acc[e.account] ?? 0) + e.cents;
      return acc;
    }, { ...ledger.totals });
    return { fresh, same: merged === ledger.totals };
  },
});
