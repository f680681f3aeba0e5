// expect: none
// Log severity classification: closures over frozen module constants (thresholds and a label list).
import { defineStage } from "../../../core/index.ts";

const LEVELS = Object.freeze(["trace", "debug", "info", "warn", "error", "fatal"] as const);
const THRESHOLDS = Object.freeze({ slowMs: 500, verySlowMs: 2_000 });

const levelOf = (n: number) => LEVELS[Math.max(0, Math.min(LEVELS.length - 1, n))]!;
const isSlow = (ms: number) => ms >= THRESHOLDS.slowMs;

export const label = defineStage({
  name: "pure-severity-label", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (bytes) => bytes * 1e-6, outputBytes: (bytes) => bytes * 2 },
  run: (events: Array<{ level: number; ms: number; msg: string }>) =>
    events.map((e) => ({
      level: levelOf(e.level),
      slow: isSlow(e.ms),
      verySlow: e.ms >= THRESHOLDS.verySlowMs,
      msg: e.msg,
    })),
});
