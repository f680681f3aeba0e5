// expect: none
// The stages here are impure only through lib/noise.ts, where the diagnostics are reported
// (with the call chain: "in helper `noise` called from stage `noisy` via `jitter`").
import { defineStage } from "../../core/index.ts";
import { jitter, tick } from "./lib/noise.ts";

export const noisy = defineStage({
  name: "noisy", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (xs: number[]) => xs.map(jitter),
});

export const timed = defineStage({
  name: "timed", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (x: number) => x + tick(),
});
