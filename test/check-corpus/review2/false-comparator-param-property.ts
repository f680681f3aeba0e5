// expect: none
import { defineStage } from "../../../core/index.ts";
class Sorter {
  constructor(private readonly cmp: (a: number, b: number) => number) {}
  sorted(xs: readonly number[]): number[] { return [...xs].sort(this.cmp); }
}
export const s = defineStage({ name: "min/comparator-param-prop", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { xs: number[] }) => new Sorter((a, b) => a - b).sorted(input.xs),
});
