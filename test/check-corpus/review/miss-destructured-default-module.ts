// expect: purity/outer-write@6
import { defineStage, defineJob, all } from "../../../core/index.ts";
const SINK: string[] = [];
// Same, through a destructured options default.
function emit(x: string, { into = SINK }: { into?: string[] } = {}) {
  into.push(x);
  return into.length;
}
export const s = defineStage({
  name: "miss-destructured-default-module", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (xs: string[]) => xs.map((x) => emit(x)),
});
