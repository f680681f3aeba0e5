// expect: none
// A 3x3 box blur over a grayscale image: reads a Float32Array input, writes a freshly allocated one.
import { defineStage } from "../../../core/index.ts";

type Image = { width: number; height: number; pixels: Float32Array };

export const boxBlur = defineStage({
  name: "pure-box-blur", version: 1, caps: ["cpu", "simd"], timeoutMs: 3_000,
  cost: { runtimeMs: (bytes) => (bytes / 4) * 9 * 2e-6, outputBytes: (bytes) => bytes + 16 },
  run: (img: Image): Image => {
    const { width: w, height: h, pixels } = img;
    const out = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let sum = 0;
        let n = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
            sum += pixels[yy * w + xx] ?? 0;
            n++;
          }
        }
        out[y * w + x] = sum / n;
      }
    }
    return { width: w, height: h, pixels: out };
  },
});
