// expect: purity/outer-write@8
import { defineStage, defineJob, all } from "../../../core/index.ts";
// Object.assign(...args) whose first element is the input: writes inp.cfg.
export const s = defineStage({
  name: "miss-object-assign-spread-args", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (inp: { cfg: { a: number }; p: { a: number } }) => {
    const args = [inp.cfg, inp.p] as const;
    Object.assign(...args);
    return inp.cfg;
  },
});
