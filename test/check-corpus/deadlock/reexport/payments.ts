// expect: none
// Settling a payment re-issues the invoice it belongs to (the cycle is reported in invoices.ts).
import { type Job, type Step, defineJob } from "../../../../core/index.ts";
import { invoiceJob } from "./billing.ts";
import type { Invoice } from "./invoices.ts";

export const settlePayment: Job<Invoice, string> = defineJob({
  name: "settle-payment",
  *run(invoice: Invoice): Step<string> {
    return yield* invoiceJob(invoice);
  },
});
