// expect: purity/outer-write@11
import { defineStage, defineJob, all } from "../../../core/index.ts";
interface U { id: string; score: number }
// Object.fromEntries(rows.map(r => [r.id, r])) holds the input rows.
export const s = defineStage({
  name: "miss-fromentries-index", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (inp: { users: U[]; bonus: Record<string, number> }) => {
    const byId = Object.fromEntries(inp.users.map((u) => [u.id, u]));
    for (const [id, b] of Object.entries(inp.bonus)) {
      const u = byId[id];
      if (u) u.score += b;
    }
    return inp.users;
  },
});
