// expect: purity/outer-write@10
import { defineStage, defineJob, all } from "../../../core/index.ts";
const REG: { n: number }[] = [{ n: 0 }];
// A module-level object stored in a fresh Map and written through get(): module state changes every call.
export const s = defineStage({
  name: "miss-map-set-module-value", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (x: number) => {
    const m = new Map<string, { n: number }>();
    m.set("k", REG[0]!);
    m.get("k")!.n += x;
    return REG[0]!.n;
  },
});
