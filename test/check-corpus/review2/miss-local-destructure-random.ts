// expect: purity/random@3
import { defineStage } from "../../../core/index.ts";
export const s = defineStage({ name: "m/random", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 }, run: (input: { t: number }) => { const { random } = Math; return random() + input.t; } });
