// expect: none
import { defineStage } from "../../../core/index.ts";
interface Scorer { score(x: number): number }
class Double implements Scorer { score(x: number): number { return 2 * x; } }
function apply(s: Scorer, x: number): number { return s.score(x); }
export const s = defineStage({ name: "min/interface", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { x: number }) => apply(new Double(), input.x),
});
