// expect: none
// The module other code imports billing jobs from.
export { issueInvoice as invoiceJob } from "./invoices.ts";
