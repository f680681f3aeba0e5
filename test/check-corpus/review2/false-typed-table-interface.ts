// expect: none
import { defineStage } from "../../../core/index.ts";
type Ops = { add(a: number, b: number): number; mul(a: number, b: number): number };
const OPS: Ops = { add: (a, b) => a + b, mul: (a, b) => a * b };
export const s = defineStage({ name: "min/typed-table", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { a: number; b: number }) => OPS.mul(OPS.add(input.a, input.b), 2),
});
