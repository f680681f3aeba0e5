// expect: purity/outer-write@13 purity/outer-write@14 purity/outer-write@15
// Adding helpers to built-in prototypes from a stage: Array.prototype, String.prototype and
// Error.prototype are shared by all code in the isolate, so these are writes to outer state.
// Defining the same helpers on a local object is fine.
import { defineStage } from "../../../../core/index.ts";

interface AppError extends Error { code?: string }

export const polyfilledTotals = defineStage({
  name: "polyfilled-totals", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { title: string; amounts: number[] }) => {
    Object.defineProperty(Array.prototype, "last", { get() { return this[this.length - 1]; }, configurable: true });
    Object.defineProperty(String.prototype, "slugify", { value() { return String(this).toLowerCase(); } });
    (Error.prototype as AppError).code = "E_APP";
    const helpers = {};
    Object.defineProperty(helpers, "last", { get() { return input.amounts[input.amounts.length - 1]; } });
    const util = { slug: (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-") };
    const total = input.amounts.reduce((a, b) => a + b, 0);
    return { total, slug: util.slug(input.title), n: Object.getOwnPropertyNames(helpers).length };
  },
});
