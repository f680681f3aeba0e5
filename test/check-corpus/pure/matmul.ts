// expect: none
// Dense matrix multiply on row-major Float64Arrays; the result is allocated inside run and filled.
import { defineStage } from "../../../core/index.ts";

type Mat = { rows: number; cols: number; data: Float64Array };

function zeros(rows: number, cols: number): Mat {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

export const matmul = defineStage({
  name: "pure-matmul", version: 1, caps: ["cpu", "simd"], timeoutMs: 10_000,
  cost: { runtimeMs: (bytes) => Math.pow(bytes / 16, 1.5) * 1e-6, outputBytes: (bytes) => bytes / 2 },
  run: ([a, b]: [Mat, Mat]): Mat => {
    if (a.cols !== b.rows) throw new Error("matmul: shape mismatch");
    const c = zeros(a.rows, b.cols);
    for (let i = 0; i < a.rows; i++) {
      for (let k = 0; k < a.cols; k++) {
        const aik = a.data[i * a.cols + k] ?? 0;
        for (let j = 0; j < b.cols; j++) {
          c.data[i * b.cols + j] = (c.data[i * b.cols + j] ?? 0) + aik * (b.data[k * b.cols + j] ?? 0);
        }
      }
    }
    return c;
  },
});
