// expect: stage/timeout@8 stage/timeout@9 stage/timeout@10 stage/timeout@11 stage/timeout@12
// timeoutMs: missing, zero, negative, not a number, infinite; a constant expression is fine.
import { defineStage } from "../../core/index.ts";

const SECOND = 1000;
const base = { caps: ["cpu"] as const, cost: { runtimeMs: () => 1, outputBytes: () => 1 }, run: (x: number) => x };

export const noTimeout = defineStage({ name: "no-timeout", version: 1, caps: ["cpu"], cost: base.cost, run: base.run } as never);
export const zero = defineStage({ name: "zero", version: 1, caps: ["cpu"], cost: base.cost, run: base.run, timeoutMs: 0 });
export const negative = defineStage({ name: "negative", version: 1, caps: ["cpu"], cost: base.cost, run: base.run, timeoutMs: -5 * SECOND });
export const text = defineStage({ name: "text", version: 1, caps: ["cpu"], cost: base.cost, run: base.run, timeoutMs: "1000" as never });
export const forever = defineStage({ name: "forever", version: 1, caps: ["cpu"], cost: base.cost, run: base.run, timeoutMs: Infinity });
export const fine = defineStage({ name: "fine", version: 1, caps: ["cpu"], cost: base.cost, run: base.run, timeoutMs: 2 * SECOND });
