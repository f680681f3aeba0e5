// expect: none
// IBAN validation (mod 97 with BigInt), throwing a fixed-message Error for malformed input.
import { defineStage } from "../../../core/index.ts";

export const ibanValid = defineStage({
  name: "pure-iban-check", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (bytes) => bytes * 1e-5, outputBytes: (bytes) => bytes / 4 },
  run: (ibans: string[]) =>
    ibans.map((raw) => {
      const iban = raw.replace(/\s+/g, "").toUpperCase();
      if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(iban)) throw new Error("malformed IBAN");
      const moved = iban.slice(4) + iban.slice(0, 4);
      const digits = [...moved].map((ch) => (ch >= "A" ? String(ch.charCodeAt(0) - 55) : ch)).join("");
      return BigInt(digits) % 97n === 1n;
    }),
});
