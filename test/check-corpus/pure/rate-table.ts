// expect: none
// Shipping rate lookup from a deeply frozen module constant, with a closure over the table.
import { defineStage } from "../../../core/index.ts";

const RATES = Object.freeze([
  Object.freeze({ zone: "EU", upToGrams: 500, cents: 450 }),
  Object.freeze({ zone: "EU", upToGrams: 2000, cents: 900 }),
  Object.freeze({ zone: "US", upToGrams: 500, cents: 800 }),
  Object.freeze({ zone: "US", upToGrams: 2000, cents: 1600 }),
]);

const lookup = (zone: string, grams: number): number => {
  const row = RATES.find((r) => r.zone === zone && grams <= r.upToGrams);
  return row ? row.cents : -1;
};

export const shippingQuote = defineStage({
  name: "pure-shipping-quote", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 0.05, outputBytes: (bytes) => bytes + 32 },
  run: (parcels: Array<{ id: string; zone: string; grams: number }>) =>
    parcels.map((p) => ({ id: p.id, cents: lookup(p.zone, p.grams) })),
});
