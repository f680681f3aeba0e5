// expect: purity/outer-write@14 purity/outer-write@16
// `.filter()` and `.slice()` return new arrays holding the same user objects: ranking the active
// users by writing `rank` on them writes the input. Mapping to fresh objects first is fine.
import { defineStage } from "../../../../core/index.ts";

interface User { id: string; active: boolean; score: number; rank?: number; badges: string[] }

export const rankUsers = defineStage({
  name: "rank-users", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (bytes) => bytes / 50_000, outputBytes: (bytes) => bytes },
  run: (users: User[]) => {
    const active = users.filter((u) => u.active);
    active.sort((a, b) => b.score - a.score);
    active.forEach((u, i) => { u.rank = i + 1; });
    const top = active.slice(0, 3);
    top[0]?.badges.push("gold");
    const ranked = users.map((u) => ({ ...u, badges: [...u.badges] }));
    ranked.sort((a, b) => b.score - a.score);
    ranked.forEach((u, i) => { u.rank = i + 1; });
    ranked[0]?.badges.push("gold");
    return ranked;
  },
});
