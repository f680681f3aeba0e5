// expect: purity/outer-write@8
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
type R = { k: string; v: number };
// fill() stores the input's row into a fresh array (push/unshift/splice of the same are caught).
export const s = defineStage({ name: "fill-input", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (rs: R[]) => { const all = new Array<R>(2).fill(rs[0]!);
    all[0]!.v = 0; return all; } });
