// expect: none
// Exact big factorials and binomials with BigInt, returned as decimal strings.
import { defineStage } from "../../../core/index.ts";

function factorial(n: number): bigint {
  let acc = 1n;
  for (let i = 2n; i <= BigInt(n); i++) acc *= i;
  return acc;
}

export const binomial = defineStage({
  name: "pure-bigint-binomial", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => 0.5 + bytes * 1e-3, outputBytes: () => 4_096 },
  run: ({ n, k }: { n: number; k: number }) => {
    if (k < 0 || k > n) throw new Error("k out of range");
    const c = factorial(n) / (factorial(k) * factorial(n - k));
    return { value: c.toString(), digits: c.toString().length, even: c % 2n === 0n };
  },
});
