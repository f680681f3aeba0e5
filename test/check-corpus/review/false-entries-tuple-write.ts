// expect: none
import { defineStage, defineJob, all } from "../../../core/index.ts";
// Object.entries makes fresh [key, value] pairs; rewriting a pair's key writes nothing of the input.
export const s = defineStage({
  name: "false-entries-tuple-write", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (o: Record<string, number>) => {
    const es = Object.entries(o);
    for (const e of es) e[0] = e[0].toUpperCase();
    return Object.fromEntries(es);
  },
});
