// expect: purity/outer-write@5
import { defineStage, defineJob, all } from "../../../core/index.ts";
// State kept as a property of a module-level function (nextSeq.n).
function nextSeq(): number {
  nextSeq.n = (nextSeq.n ?? 0) + 1;
  return nextSeq.n;
}
nextSeq.n = 0 as number | undefined;
export const s = defineStage({
  name: "miss-function-expando", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (rows: string[]) => rows.map((r) => `${nextSeq()}:${r}`),
});
