// expect: purity/outer-read@20 purity/outer-read@22
// Feature flags held in a module-level `let` that loadFlags() replaces: reading it from a stage
// depends on when the stage runs. A const default object that nothing writes is fine.
import { defineStage } from "../../../../core/index.ts";

interface Flags { newPricing: boolean; freeShippingOverCents: number }
const DEFAULT_FLAGS: Flags = { newPricing: false, freeShippingOverCents: 5000 };
export let flags: Flags = DEFAULT_FLAGS;
export var region = "eu";

export function loadFlags(next: Flags, where: string): void {
  flags = next;
  region = where;
}

export const shippingCost = defineStage({
  name: "shipping-cost", version: 2, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 32 },
  run: (cart: { cents: number; weightKg: number }) => {
    const current = flags;
    const free = cart.cents >= current.freeShippingOverCents;
    const perKg = region === "eu" ? 120 : 200;
    const fallback = cart.cents >= DEFAULT_FLAGS.freeShippingOverCents;
    return { cents: free ? 0 : Math.round(cart.weightKg * perKg), fallback };
  },
});
