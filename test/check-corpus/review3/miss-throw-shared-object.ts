// expect: purity/outer-write@10 purity/outer-write@13
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
// Exceptions as control flow: the thrown value is a module-level sentinel (or an input element),
// and the catch block writes to it.
const STOP = { hits: 0 };
function find(xs: number[]): number { for (const x of xs) if (x > 3) throw STOP; return -1; }
export const a = defineStage({ name: "throw-module", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (xs: number[]) => { try { return find(xs); } catch (e) {
    (e as typeof STOP).hits++; return (e as typeof STOP).hits; } } });
export const b = defineStage({ name: "throw-input", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (xs: { n: number }[]) => { try { for (const x of xs) if (x.n > 3) throw x; return 0; } catch (e) {
    (e as { n: number }).n = 0; return 1; } } });
