// expect: none
// Mutual recursion with a base case: isEven / isOdd, and a Collatz-style parity walk over the input.
import { defineStage } from "../../../core/index.ts";

function isEven(n: number): boolean {
  return n === 0 ? true : isOdd(n - 1);
}

function isOdd(n: number): boolean {
  return n === 0 ? false : isEven(n - 1);
}

export const parity = defineStage({
  name: "pure-parity", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (bytes) => bytes * 1e-4, outputBytes: (bytes) => bytes },
  run: (ns: number[]) => ns.map((n) => (isEven(Math.abs(n) % 1000) ? "even" : "odd")),
});
