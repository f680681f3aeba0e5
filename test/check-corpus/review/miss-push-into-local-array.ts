// expect: purity/outer-write@10
import { defineStage, defineJob, all } from "../../../core/index.ts";
interface U { id: string; score: number }
// push() of input rows into a fresh array: its elements are still the input's rows.
export const s = defineStage({
  name: "miss-push-into-local-array", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (users: U[]) => {
    const top: U[] = [];
    for (const u of users) if (u.score > 10) top.push(u);
    for (const t of top) t.score = 10;
    return top;
  },
});
