// expect: purity/outer-write@10 purity/outer-write@19
// A class-level static counter: the constructor's increment (reported where it is written) and a
// direct ++ write module state; reading it reads what other runs wrote. A static readonly is fine.
import { defineStage } from "../../../../core/index.ts";

class Invoice {
  static issued = 0;
  static readonly PREFIX = "INV";
  constructor(readonly customer: string, readonly cents: number) {
    Invoice.issued += 1;
  }
}

export const issueInvoice = defineStage({
  name: "issue-invoice", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 96 },
  run: (o: { customer: string; cents: number; seq: number }) => {
    const inv = new Invoice(o.customer, o.cents);
    const n = ++Invoice.issued;
    const issuedBefore = Invoice.issued;
    const number = `${Invoice.PREFIX}-${String(o.seq).padStart(6, "0")}`;
    return { number, n, issuedBefore, customer: inv.customer };
  },
});
