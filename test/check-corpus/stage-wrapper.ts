// expect: purity/random@19 purity/clock@20 purity/unreadable@15
// A wrapper that builds stages from a run parameter: the parameter is resolved at each call site
// and every argument is checked as that stage's run; a wrapper that escapes is unreadable.
import { defineStage } from "../../core/index.ts";

const cost = { runtimeMs: () => 1, outputBytes: () => 8 };

function cpuStage<I, O>(name: string, run: (input: I) => O) {
  return defineStage({ name, version: 1, caps: ["cpu"], timeoutMs: 1000, cost, run });
}

const passed = (name: string, run: (x: number) => number) =>
  defineStage({
    name, version: 1, caps: ["cpu"], timeoutMs: 1000, cost,
    run,
  });
export const registry = [passed];

export const noisy = cpuStage("noisy", (x: number) => x + Math.random());
export const stamped = cpuStage("stamped", (x: number) => x + Date.now());
export const square = cpuStage("square", (x: number) => x * x);
