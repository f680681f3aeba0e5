// expect: purity/outer-write@7
import { defineStage, defineJob, all } from "../../../core/index.ts";
// inp.out.push as callback with thisArg inp.out appends to the input.
export const s = defineStage({
  name: "miss-foreach-thisarg-input", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (inp: { a: number[]; out: number[] }) => {
    inp.a.forEach(inp.out.push, inp.out);
    return inp.out;
  },
});
