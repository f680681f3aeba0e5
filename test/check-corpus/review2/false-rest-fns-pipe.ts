// expect: none
import { defineStage } from "../../../core/index.ts";
function pipe(...fns: Array<(x: number) => number>): (x: number) => number { return (x) => fns.reduce((acc, f) => f(acc), x); }
export const s = defineStage({ name: "min/pipe", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { x: number }) => pipe((x) => x + 1, (x) => x * 2)(input.x),
});
