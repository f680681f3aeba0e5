// expect: none
import { defineStage } from "../../../core/index.ts";
type Rule = { msg: string; check: (v: number) => boolean };
const RULES: readonly Rule[] = [
  { msg: "negative", check: (v) => v < 0 },
  { msg: "too big", check: (v) => v > 100 },
];
export const s = defineStage({ name: "min/rule-table", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { v: number }) => RULES.filter((r) => r.check(input.v)).map((r) => r.msg),
});
