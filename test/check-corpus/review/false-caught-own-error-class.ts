// expect: none
import { defineStage, defineJob, all } from "../../../core/index.ts";
// The caught error is narrowed to the project's own class, whose message is the project's text (what the hint itself recommends).
class ValidationError extends Error {}
function check(n: number) {
  if (!(n >= 0)) throw new ValidationError("amount must be non-negative");
  return n;
}
export const s = defineStage({
  name: "false-caught-own-error-class", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (xs: number[]) => xs.map((x) => {
    try { return { ok: true, v: check(x) }; }
    catch (e) { return { ok: false, err: e instanceof ValidationError ? e.message : "unknown" }; }
  }),
});
