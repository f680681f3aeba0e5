// expect: none
import { defineStage } from "../../../core/index.ts";
function applyEach(xs: readonly number[], fns: ReadonlyArray<(x: number) => number>): number[][] { return fns.map((f) => xs.map((x) => f(x))); }
export const s = defineStage({ name: "min/fns-array", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { xs: number[] }) => applyEach(input.xs, [(x) => x + 1, (x) => x * 2]),
});
