// expect: purity/dynamic-code@14 purity/dynamic-code@15 purity/dynamic-code@16 purity/dynamic-code@17
// Compiling rule expressions without naming eval or Function: the constructor of any function
// (plain, arrow, async, generator) is a Function constructor. Closures over parsed rules are fine.
import { defineStage } from "../../../../core/index.ts";

type Pred = (row: Record<string, number>) => boolean;
const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => Function;
const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as new (...a: string[]) => Function;

export const compileRules = defineStage({
  name: "compile-rules", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => 1 + bytes / 10_000, outputBytes: () => 64 },
  run: (input: { expr: string; rows: Record<string, number>[] }) => {
    const viaArrow = (() => 0).constructor("row", `return ${input.expr}`) as Pred;
    const viaArray = [].map.constructor("return this") as () => unknown;
    const viaAsync = new AsyncFunction("row", input.expr);
    const viaGen = new GeneratorFunction("row", input.expr);
    const [field = "", limit = "0"] = input.expr.split(">").map((s) => s.trim());
    const safe: Pred = (row) => (row[field] ?? 0) > Number(limit);
    return { matches: input.rows.filter(safe).length, compiled: [viaArrow, viaArray, viaAsync, viaGen].length };
  },
});
