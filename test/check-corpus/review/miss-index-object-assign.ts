// expect: purity/outer-write@11
import { defineStage, defineJob, all } from "../../../core/index.ts";
interface U { id: string; score: number }
// o[k] = row into a fresh object, then writing o[k]: writes the input row.
export const s = defineStage({
  name: "miss-index-object-assign", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (users: U[]) => {
    const o: Record<string, U> = {};
    for (const u of users) o[u.id] = u;
    const a = o["a"];
    if (a) a.score = 0;
    return users;
  },
});
