// expect: none
// caps through constants and `as const` are resolved.
import { defineStage } from "../../core/index.ts";

const CPU = "cpu";
const GPU_CAPS = ["gpu", "f16", "subgroups"] as const;

export const viaConst = defineStage({
  name: "via-const", version: 1, caps: [CPU], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 1 },
  run: (x: number) => x,
});
export const viaArray = defineStage({
  name: "via-array", version: 1, caps: GPU_CAPS, timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 1 },
  run: (x: number) => x,
});
