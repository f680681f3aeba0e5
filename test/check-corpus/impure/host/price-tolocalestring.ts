// expect: purity/host@18
// Formatting a price for an invoice: toLocaleString depends on the host's ICU data and default
// locale, even with an explicit locale. Fixed-point formatting by hand is fine.
import { defineStage } from "../../../../core/index.ts";

interface Invoice { number: string; currency: string; lines: { label: string; cents: number }[] }

function formatCents(cents: number): string {
  const whole = Math.trunc(cents / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${whole}.${String(Math.abs(cents % 100)).padStart(2, "0")}`;
}

export const renderInvoice = defineStage({
  name: "render-invoice", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => 1 + bytes / 50_000, outputBytes: (bytes) => bytes * 3 },
  run: (inv: Invoice) => {
    const total = inv.lines.reduce((s, l) => s + l.cents, 0);
    const shown = (total / 100).toLocaleString("en-US", { style: "currency", currency: inv.currency });
    const plain = formatCents(total);
    const lines = inv.lines.map((l) => `${l.label.padEnd(30)} ${formatCents(l.cents)}`);
    return { number: inv.number, shown, plain, lines, fixed: (total / 100).toFixed(2) };
  },
});
