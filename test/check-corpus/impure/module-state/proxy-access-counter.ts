// expect: purity/outer-write@11
// A module-level Proxy over the config whose get trap counts reads: every property read through
// it runs the trap, whose write to module state is reported where it is. The plain object is fine.
import { defineStage } from "../../../../core/index.ts";

interface Limits { maxItems: number; maxBytes: number }
const LIMITS: Limits = { maxItems: 100, maxBytes: 1 << 20 };
let limitReads = 0;
const trackedLimits = new Proxy(LIMITS, {
  get(target, key) {
    limitReads++;
    return target[key as keyof Limits];
  },
});
export const readsSoFar = () => limitReads;

export const checkCart = defineStage({
  name: "check-cart", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 32 },
  run: (cart: { items: number; bytes: number }) => {
    const tooMany = cart.items > trackedLimits.maxItems;
    const tooBig = cart.bytes > LIMITS.maxBytes;
    return { ok: !tooMany && !tooBig, tooMany, tooBig };
  },
});
