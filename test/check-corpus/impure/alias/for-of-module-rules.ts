// expect: purity/outer-write@14
// for...of over a module-level array yields the array's own rule objects: stamping them writes
// module state. Copying each rule first is fine (TIERS is never written, so reading it is fine).
import { defineStage } from "../../../../core/index.ts";

interface Rule { code: string; percent: number; appliedTo?: string }
const DISCOUNT_RULES: Rule[] = [{ code: "SPRING", percent: 10 }, { code: "VIP", percent: 20 }];
const TIERS = [{ name: "bronze", min: 0 }, { name: "gold", min: 500 }];

export const applyDiscounts = defineStage({
  name: "apply-discounts", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: () => 1, outputBytes: () => 128 },
  run: (cart: { id: string; totalCents: number }) => {
    for (const rule of DISCOUNT_RULES) rule.appliedTo = cart.id;
    const tiers = [];
    for (const tier of TIERS) {
      const t = { ...tier, label: tier.name.toUpperCase() };
      t.min = t.min * 100;
      tiers.push(t);
    }
    const tier = tiers.filter((t) => cart.totalCents >= t.min).pop();
    return { cart: cart.id, tier: tier?.label ?? "NONE" };
  },
});
