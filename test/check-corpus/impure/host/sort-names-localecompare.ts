// expect: purity/host@14
// Sorting a team roster: localeCompare's order comes from the host's collation data. A code-unit
// comparison gives the same order everywhere.
import { defineStage } from "../../../../core/index.ts";

interface Member { first: string; last: string; role: string }

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const rosterOrder = defineStage({
  name: "roster-order", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => bytes / 20_000, outputBytes: (bytes) => bytes },
  run: (team: Member[]) => {
    const display = [...team].sort((a, b) => a.last.localeCompare(b.last));
    const stable = [...team].sort((a, b) => byCodeUnit(a.last, b.last) || byCodeUnit(a.first, b.first));
    const roles = [...new Set(team.map((m) => m.role))].sort();
    const leads = team.filter((m) => m.role === "lead").map((m) => m.last.toUpperCase());
    return {
      display: display.map((m) => `${m.last}, ${m.first}`),
      stable: stable.map((m) => `${m.last}, ${m.first}`),
      roles,
      leads,
    };
  },
});
