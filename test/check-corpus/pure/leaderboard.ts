// expect: none
// A leaderboard using the ES2023 copying methods toSorted, toReversed and with: never the in-place variants.
import { defineStage } from "../../../core/index.ts";

type Entry = { name: string; points: number };

export const leaderboard = defineStage({
  name: "pure-leaderboard", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 2e-6, outputBytes: (bytes) => bytes + 64 },
  run: (entries: Entry[]) => {
    const byPoints = entries.toSorted((a, b) => b.points - a.points || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const worstFirst = byPoints.toReversed();
    const withBadge = byPoints.length > 0 ? byPoints.with(0, { ...byPoints[0]!, name: `★ ${byPoints[0]!.name}` }) : byPoints;
    return { ranking: withBadge.map((e, i) => `${String(i + 1).padStart(3, " ")}. ${e.name} ${e.points}`), last: worstFirst[0]?.name ?? "" };
  },
});
