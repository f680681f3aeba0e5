// expect: purity/outer-write@8
import { defineStage, defineJob, all } from "../../../core/index.ts";
const SEEN = new Set<string>();
// forEach/map with a method as callback and its owner as thisArg: SEEN.add runs with this = SEEN.
export const s = defineStage({
  name: "miss-foreach-thisarg-module", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (ids: string[]) => {
    ids.forEach(SEEN.add, SEEN);
    return SEEN.size;
  },
});
