// expect: none
import { defineStage } from "../../../core/index.ts";
const OPS: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
};
export const s = defineStage({ name: "min/table-add", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { a: number; b: number }) => OPS.add(input.a, input.b),
});
