// expect: purity/outer-write@9
import { defineStage, defineJob, all } from "../../../core/index.ts";
interface U { id: string; score: number }
// new Map(rows.map(r => [r.id, r])): the Map holds the input rows (new Map(inp.pairs) is caught, this is not).
export const s = defineStage({
  name: "miss-map-from-mapped-pairs", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (users: U[]) => {
    const m = new Map(users.map((u) => [u.id, u] as const));
    m.forEach((u) => { u.score = Math.round(u.score); });
    return users;
  },
});
