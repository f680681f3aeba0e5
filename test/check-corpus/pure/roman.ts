// expect: none
// Roman numerals both ways with a frozen module table; fixed-message RangeError for out-of-range input.
import { defineStage } from "../../../core/index.ts";

const TABLE = Object.freeze([
  [1000, "M"], [900, "CM"], [500, "D"], [400, "CD"], [100, "C"], [90, "XC"],
  [50, "L"], [40, "XL"], [10, "X"], [9, "IX"], [5, "V"], [4, "IV"], [1, "I"],
] as const);

const VALUE: Readonly<Record<string, number>> = Object.freeze({ I: 1, V: 5, X: 10, L: 50, C: 100, D: 500, M: 1000 });

export const toRoman = defineStage({
  name: "pure-to-roman", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: () => 0.01, outputBytes: () => 32 },
  run: (n: number) => {
    if (!Number.isInteger(n) || n < 1 || n > 3999) throw new RangeError("roman numerals cover 1..3999");
    let rest = n;
    let out = "";
    for (const [v, s] of TABLE) while (rest >= v) { out += s; rest -= v; }
    return out;
  },
});

export const fromRoman = defineStage({
  name: "pure-from-roman", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: () => 0.01, outputBytes: () => 8 },
  run: (s: string) => {
    let total = 0;
    for (let i = 0; i < s.length; i++) {
      const v = VALUE[s.charAt(i)] ?? 0;
      const next = VALUE[s.charAt(i + 1)] ?? 0;
      total += v < next ? -v : v;
    }
    return total;
  },
});
