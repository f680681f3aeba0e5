// expect: purity/host@3
import { defineStage } from "../../../core/index.ts";
export const s = defineStage({ name: "m/msg", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 }, run: (input: { s: string }) => { try { return JSON.parse(input.s); } catch (err) { const e = err as Error; const { message } = e; return message; } } });
