// expect: purity/unknown-call@15 purity/unknown-call@17 purity/unknown-call@19
// Reflect.apply, Reflect.construct and Reflect.get: the checker treats them as calls it cannot
// follow. Calling the function directly, `new` and plain indexing are fine.
import { defineStage } from "../../../../core/index.ts";

class Money {
  constructor(readonly cents: number, readonly currency: string) {}
}
const add = (a: number, b: number) => a + b;

export const sumPayments = defineStage({
  name: "sum-payments", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: (bytes) => bytes / 50_000, outputBytes: () => 64 },
  run: (p: { currency: string; cents: number[]; field: "currency" | "cents" }) => {
    const viaReflect = p.cents.reduce((s, c) => Reflect.apply(add, undefined, [s, c]) as number, 0);
    const total = p.cents.reduce((s, c) => add(s, c), 0);
    const m = Reflect.construct(Money, [total, p.currency]) as Money;
    const same = new Money(total, p.currency);
    const field = Reflect.get(same, p.field) as unknown;
    const plain = same[p.field];
    return { viaReflect, total: m.cents, plain, field };
  },
});
