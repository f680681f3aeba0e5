// expect: purity/outer-write@10
import { defineStage, defineJob, all } from "../../../core/index.ts";
interface U { id: string; score: number }
// s.add(row) into a fresh Set, then writing what the Set hands out (new Set(rows) is caught).
export const s = defineStage({
  name: "miss-set-add-then-iterate", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (users: U[]) => {
    const s = new Set<U>();
    for (const u of users) s.add(u);
    for (const u of s) u.score = 0;
    return users;
  },
});
