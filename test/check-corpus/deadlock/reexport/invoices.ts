// expect: job/cycle@12
// A job reached through a renamed re-export (billing.ts exports issueInvoice as invoiceJob):
// issue-invoice -> settle-payment -> issue-invoice with the same invoice each time.
import { type Job, type Step, defineJob } from "../../../../core/index.ts";
import { settlePayment } from "./payments.ts";

export type Invoice = { number: string; amountCents: number };

export const issueInvoice: Job<Invoice, string> = defineJob({
  name: "issue-invoice",
  *run(invoice: Invoice): Step<string> {
    const receipt = yield* settlePayment(invoice);
    return `${invoice.number}:${receipt}`;
  },
});
