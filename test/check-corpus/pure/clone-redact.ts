// expect: none
// structuredClone the input, then mutate the clone deeply (nested objects and arrays) to redact PII.
import { defineStage } from "../../../core/index.ts";

type Order = { id: string; customer: { name: string; email: string; address: { line1: string; city: string } }; notes: string[] };

export const redact = defineStage({
  name: "pure-redact-order", version: 1, caps: ["cpu"], timeoutMs: 200,
  cost: { runtimeMs: (bytes) => bytes * 1e-6 + 0.01, outputBytes: (bytes) => bytes },
  run: (order: Order) => {
    const copy = structuredClone(order);
    copy.customer.name = copy.customer.name.charAt(0) + "***";
    copy.customer.email = copy.customer.email.replace(/^[^@]+/, "***");
    copy.customer.address.line1 = "";
    copy.notes.length = 0;
    copy.notes.push("redacted");
    return copy;
  },
});
