// expect: none
// An identity-plus-band matrix: a helper writes into a fresh Float64Array and a fresh row array it is handed.
import { defineStage } from "../../../core/index.ts";

function setBand(out: Float64Array, n: number, band: number, v: number): void {
  for (let i = 0; i < n; i++) {
    for (let d = -band; d <= band; d++) {
      const j = i + d;
      if (j >= 0 && j < n) out[i * n + j] = d === 0 ? 1 : v;
    }
  }
}

function rowSums(m: Float64Array, n: number, sums: number[]): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += m[i * n + j]!;
    sums.push(s);
  }
}

export const bandMatrix = defineStage({
  name: "pure-band-matrix", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: () => 2, outputBytes: () => 8 * 64 * 64 },
  run: ({ n, band, v }: { n: number; band: number; v: number }) => {
    const m = new Float64Array(n * n);
    setBand(m, n, band, v);
    const sums: number[] = [];
    rowSums(m, n, sums);
    return { m: Array.from(m), sums };
  },
});
