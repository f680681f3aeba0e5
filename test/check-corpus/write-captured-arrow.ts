// expect: purity/outer-write@12 purity/outer-read@14 purity/outer-write@25
// Writes to captured variables from inside arrows: module-level, and a factory's local captured by the stage.
import { defineStage } from "../../core/index.ts";

let total = 0;

export const running = defineStage({
  name: "running", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (xs: number[]) => {
    xs.forEach((x) => {
      total += x;
    });
    return total;
  },
});

export function makeCounter() {
  let seen = 0;
  return defineStage({
    name: "counter", version: 1, caps: ["cpu"], timeoutMs: 100,
    cost: { runtimeMs: () => 1, outputBytes: () => 8 },
    run: (x: number) => {
      const bump = () => {
        seen = seen + x;
      };
      bump();
      return seen;
    },
  });
}
