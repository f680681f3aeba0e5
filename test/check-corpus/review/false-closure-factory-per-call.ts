// expect: none
import { defineStage, defineJob, all } from "../../../core/index.ts";
// The counter closure is made inside run, so n is fresh per call.
function makeCounter() {
  let n = 0;
  return { inc: () => ++n, get value() { return n; } };
}
export const s = defineStage({
  name: "false-closure-factory-per-call", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (text: string) => {
    const c = makeCounter();
    for (const ch of text) if (ch === "\n") c.inc();
    return c.value;
  },
});
