// expect: none
import { defineStage } from "../../../core/index.ts";
export const s = defineStage({ name: "min/symbol-iterator", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { xs: number[] }) => {
    const it = [...input.xs][Symbol.iterator]();
    const first = it.next();
    return first.done ? null : first.value;
  },
});
