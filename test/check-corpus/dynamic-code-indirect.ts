// expect: purity/dynamic-code@8 purity/dynamic-code@14
// Indirect eval through an alias and a helper.
import { defineJob } from "../../core/index.ts";

const run = eval;

function compute(expr: string): number {
  return run(expr) as number;
}

export const calc = defineJob({
  name: "calc",
  *run(expr: string) {
    return compute(expr) + (0, eval)("1");
  },
});
