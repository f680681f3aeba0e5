// expect: purity/outer-write@7
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
const log: string[] = [];
// `[].push.call(x, ...)` (borrowed from an array literal, not Array.prototype) writes module-level log.
export const s = defineStage({ name: "borrow-push", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (s: string) => { ([] as string[]).push.call(log, s); return s; } });
