// expect: purity/outer-read@18 purity/outer-read@19
// `settings` is a const object, but configure() writes its fields at run time: a stage reading
// them depends on when it runs. ROUNDING is never written, so reading it is fine.
import { defineStage } from "../../../../core/index.ts";

export const settings = { currency: "EUR", taxRate: 0.2, roundTo: 5 };
const ROUNDING = { mode: "half-up", digits: 2 };

export function configure(next: { currency?: string; taxRate?: number }): void {
  if (next.currency) settings.currency = next.currency;
  if (next.taxRate !== undefined) settings.taxRate = next.taxRate;
}

export const quote = defineStage({
  name: "quote", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (q: { netCents: number }) => {
    const tax = Math.round(q.netCents * settings.taxRate);
    const currency = settings.currency;
    const scale = 10 ** ROUNDING.digits;
    const gross = Math.round(((q.netCents + tax) / 100) * scale) / scale;
    return { gross, currency, mode: ROUNDING.mode };
  },
});
