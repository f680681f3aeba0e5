// expect: stage/timeout@9:warning
// A timeout computed at run time cannot be verified statically: a warning, not an error.
import { defineStage } from "../../core/index.ts";

declare const config: { timeoutMs: number };

export const configured = defineStage({
  name: "configured", version: 1, caps: ["cpu"],
  timeoutMs: config.timeoutMs,
  cost: { runtimeMs: () => 1, outputBytes: () => 1 },
  run: (x: number) => x,
});
