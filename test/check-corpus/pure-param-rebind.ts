// expect: none
// Reassigning a parameter binding is local; mutating rows of a locally built grid is local.
import { defineStage } from "../../core/index.ts";

function gcd(a: number, b: number): number {
  while (b !== 0) {
    [a, b] = [b, a % b];
  }
  return a;
}

export const grid = defineStage({
  name: "grid", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: (n) => n * 8 },
  run: (n: number) => {
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) rows.push(new Array<number>(n).fill(0));
    for (const row of rows) row[0] = 1;
    rows.forEach((row, i) => {
      row[i] = gcd(i, n);
    });
    n = n + 1;
    return { rows, n };
  },
});
