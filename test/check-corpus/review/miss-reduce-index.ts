// expect: purity/outer-write@10
import { defineStage, defineJob, all } from "../../../core/index.ts";
interface U { id: string; score: number }
// The usual "index by id" reduce: the accumulator is fresh, its values are the input rows.
export const s = defineStage({
  name: "miss-reduce-index", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (users: U[]) => {
    const byId = users.reduce<Record<string, U>>((acc, u) => { acc[u.id] = u; return acc; }, {});
    const a = byId["a"];
    if (a) a.score = 0;
    return users;
  },
});
