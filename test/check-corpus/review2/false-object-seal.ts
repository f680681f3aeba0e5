// expect: none
import { defineStage } from "../../../core/index.ts";
export const s = defineStage({ name: "min/seal", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { xs: number[] }) => {
    const acc = Object.seal({ n: 0, sum: 0 });
    for (const x of input.xs) { acc.n++; acc.sum += x; }
    return { ...acc, sealed: Object.isSealed(acc), ext: Object.isExtensible(acc) };
  },
});
