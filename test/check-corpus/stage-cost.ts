// expect: stage/cost@5 stage/cost@12 stage/cost@18 stage/cost@24
// Cost models: missing, incomplete, a number instead of a function.
import { defineStage } from "../../core/index.ts";

export const noCost = defineStage({
  name: "no-cost", version: 1, caps: ["cpu"], timeoutMs: 100,
  run: (x: number) => x,
} as never);

export const halfCost = defineStage({
  name: "half-cost", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (n: number) => n } as never,
  run: (x: number) => x,
});

export const constCost = defineStage({
  name: "const-cost", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: 5, outputBytes: (n: number) => n } as never,
  run: (x: number) => x,
});

export const emptyCost = defineStage({
  name: "empty-cost", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: {} as never,
  run: (x: number) => x,
});
