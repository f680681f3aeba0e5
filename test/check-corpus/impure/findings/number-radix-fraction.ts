// expect: purity/host@10 purity/host@11
// Number.prototype.toString(radix) for radix other than 10 is implementation-defined for
// non-integers (engines print different digit counts). Integer radix output and toFixed are exact.
import { defineStage } from "../../../../core/index.ts";

export const shortCode = defineStage({
  name: "short-code", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { score: number; id: number; ratio: number }) => {
    const code = (input.score / 7).toString(36);
    const share = input.ratio.toString(2);
    const idHex = (input.id >>> 0).toString(16).padStart(8, "0");
    const dec = (input.score / 7).toString();
    const fixed = input.ratio.toFixed(4);
    return { code, share, idHex, dec, fixed };
  },
});
