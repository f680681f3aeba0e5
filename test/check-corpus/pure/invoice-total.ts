// expect: none
// An invoice total: line items times quantity, a tax rate looked up in a frozen module table, rounding to cents.
import { defineStage } from "../../../core/index.ts";

const TAX_RATES = Object.freeze({ standard: 0.2, reduced: 0.05, zero: 0 } as const);

type Line = { sku: string; unitCents: number; qty: number; rate: keyof typeof TAX_RATES };

export const invoiceTotal = defineStage({
  name: "pure-invoice-total", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => 0.5 + bytes * 1e-5, outputBytes: () => 64 },
  run: (lines: Line[]) => {
    let net = 0;
    let tax = 0;
    for (const l of lines) {
      const lineNet = l.unitCents * l.qty;
      net += lineNet;
      tax += Math.round(lineNet * TAX_RATES[l.rate]);
    }
    return { net, tax, gross: net + tax, lines: lines.length };
  },
});
