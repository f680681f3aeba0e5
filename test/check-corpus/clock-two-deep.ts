// expect: purity/clock@6
// The clock read is two calls away from the stage: stage -> label -> stamp.
import { defineStage } from "../../core/index.ts";

function stamp(): number {
  return Date.now();
}

function label(x: number): string {
  return `${x}@${stamp()}`;
}

export const labelled = defineStage({
  name: "labelled", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 32 },
  run: (xs: number[]) => xs.map(label),
});

export const labelledToo = defineStage({
  name: "labelled-too", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 32 },
  run: (x: number) => label(x), // same helper: the clock read is reported once
});
