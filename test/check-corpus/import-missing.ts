// expect: purity/import@10
// A relative import that does not resolve to a project file cannot be checked.
import { defineStage } from "../../core/index.ts";
import { helper } from "./lib/does-not-exist.ts";
import { mean } from "./lib/pure-math.ts";

export const missing = defineStage({
  name: "missing", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (xs: number[]) => helper(xs) + mean(xs),
});
