// expect: purity/host@7
import { defineStage, defineJob, all } from "../../../core/index.ts";
export const s = defineStage({
  name: "miss-date-values-join", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (ms: number) => {
    const o = { when: new Date(ms), n: ms };
    return Object.values(o).join("|");
  },
});
