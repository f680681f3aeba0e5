// expect: purity/random@9 purity/random@10 purity/random@11 purity/random@12
// Randomness: Math.random, Math["random"], crypto.getRandomValues, crypto.randomUUID.
import { defineStage } from "../../core/index.ts";

export const dice = defineStage({
  name: "dice", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (n: number) => {
    const a = Math.random() * n;
    const b = Math["random"]();
    const buf = crypto.getRandomValues(new Uint8Array(4));
    const id = crypto.randomUUID();
    return [a, b, buf, id];
  },
});
