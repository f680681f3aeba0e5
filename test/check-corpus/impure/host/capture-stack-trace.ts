// expect: purity/host@13
// A domain error class calling Error.captureStackTrace: the captured frames are host- and
// engine-specific (and V8-only). The error's own fields are fine.
import { defineStage } from "../../../../core/index.ts";

export const validateOrder = defineStage({
  name: "validate-order", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 128 },
  run: (order: { id: string; qty: number; sku: string }) => {
    class ValidationError extends Error {
      constructor(readonly field: string, readonly rule: string) {
        super(`${field} violates ${rule}`);
        Error.captureStackTrace(this, ValidationError);
      }
    }
    const problems: { field: string; rule: string }[] = [];
    try {
      if (order.qty <= 0) throw new ValidationError("qty", "positive");
      if (!/^[A-Z]{3}-\d+$/.test(order.sku)) throw new ValidationError("sku", "format");
    } catch (e) {
      if (e instanceof ValidationError) problems.push({ field: e.field, rule: e.rule });
    }
    return { id: order.id, problems };
  },
});
