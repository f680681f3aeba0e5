// expect: purity/dynamic-code@9 purity/dynamic-code@10 purity/dynamic-code@11 purity/dynamic-code@12 purity/dynamic-code@13
// eval, Function, new Function, the constructor trick, WebAssembly.
import { defineStage } from "../../core/index.ts";

export const evaluator = defineStage({
  name: "evaluator", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (src: string) => {
    const a = eval(src);
    const b = new Function("x", src);
    const c = Function(src)();
    const d = (() => 0).constructor(src);
    const e = WebAssembly.validate(new Uint8Array(0));
    return [a, b, c, d, e];
  },
});
