// expect: purity/outer-write@13
// Destructuring copies references: `address` is the input's own object, so upper-casing its
// country writes the input. Rebinding a destructured local, or writing a spread copy, is fine.
import { defineStage } from "../../../../core/index.ts";

interface Customer { name: string; address: { line1: string; country: string }; phones: string[] }

export const normalizeCustomer = defineStage({
  name: "normalize-customer", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: () => 1, outputBytes: (bytes) => bytes },
  run: (customer: Customer) => {
    const { name, address, phones: [primary, ...others] } = customer;
    address.country = address.country.toUpperCase();
    let display = name;
    display = display.replace(/\s+/g, " ").trim();
    others.push(primary ?? "");
    const addr = { ...customer.address };
    addr.country = addr.country.toUpperCase();
    return { name: display, address: addr, phones: others };
  },
});
