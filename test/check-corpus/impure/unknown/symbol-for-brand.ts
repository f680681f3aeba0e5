// expect: purity/unknown-call@12
// Branding records with Symbol.for: the global symbol registry is shared with any other code in
// the isolate. A module-level Symbol() and string keys are fine.
import { defineStage } from "../../../../core/index.ts";

const LOCAL_BRAND = Symbol("validated");

export const brandRecord = defineStage({
  name: "brand-record", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: (bytes) => bytes },
  run: (rec: { id: string; email: string }) => {
    const brand = Symbol.for("app.validated");
    const out: Record<string | symbol, unknown> = { ...rec };
    out[brand] = true;
    out[LOCAL_BRAND] = true;
    out["validated"] = rec.email.includes("@");
    return { ...rec, validated: out["validated"], symbols: Object.getOwnPropertySymbols(out).length };
  },
});
