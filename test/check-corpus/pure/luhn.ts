// expect: none
// Luhn checksum for card numbers: digits reversed from a split copy, reduce with index parity.
import { defineStage } from "../../../core/index.ts";

export const luhn = defineStage({
  name: "pure-luhn", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => bytes * 1e-6, outputBytes: (bytes) => bytes / 8 },
  run: (numbers: string[]) =>
    numbers.map((n) => {
      const digits = n.replace(/\D/g, "").split("").reverse().map(Number);
      if (digits.length < 12) return false;
      const sum = digits.reduce((s, d, i) => s + (i % 2 === 1 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d), 0);
      return sum % 10 === 0;
    }),
});
