// expect: none
import { defineStage } from "../../../core/index.ts";
export const s = defineStage({ name: "min/array-of-closures", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { xs: number[] }) => {
    const counters = input.xs.map((x) => { let n = x; return () => ++n; });
    return counters.map((c) => c());
  },
});
