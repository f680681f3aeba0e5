// expect: purity/host@6
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
const cmp = (a: number, b: number) => a - b;
// A function's source text through a template (or String(f)) in a helper taking `Function`.
function describe(f: Function): string { return `${f}`; }
export const s = defineStage({ name: "fn-source", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (n: number) => describe(cmp) + n });
