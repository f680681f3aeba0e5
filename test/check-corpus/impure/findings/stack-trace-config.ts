// expect: purity/outer-write@12 purity/outer-write@13
// Tuning V8's stack traces from a stage: Error.stackTraceLimit and Error.prepareStackTrace are
// realm-wide settings (V8-only, so absent elsewhere) that change every later error's stack.
import { defineStage } from "../../../../core/index.ts";

interface Step { name: string; input: number }

export const runSteps = defineStage({
  name: "run-steps", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => bytes / 10_000, outputBytes: () => 256 },
  run: (steps: Step[]) => {
    Error.stackTraceLimit = 0;
    Error.prepareStackTrace = (err: Error) => err.name;
    const failures: string[] = [];
    let acc = 0;
    for (const s of steps) {
      if (!Number.isFinite(s.input)) failures.push(`${s.name}: not finite`);
      else acc += s.input;
    }
    const marker = new Error("local");
    const tag = { name: marker.name, msg: marker.message };
    return { acc, failures, tag };
  },
});
