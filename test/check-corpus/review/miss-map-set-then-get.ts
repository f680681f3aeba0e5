// expect: purity/outer-write@11
import { defineStage, defineJob, all } from "../../../core/index.ts";
interface U { id: string; score: number }
// Indexing input rows in a fresh Map by m.set() and then writing a row got from m.get() writes the input.
export const s = defineStage({
  name: "miss-map-set-then-get", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (users: U[]) => {
    const byId = new Map<string, U>();
    for (const u of users) byId.set(u.id, u);
    const a = byId.get("a");
    if (a) a.score = 0;
    return users;
  },
});
