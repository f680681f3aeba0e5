// expect: job/cycle@14
// A table built inside the job body. The "auto" entry was meant to detect the format and resize a
// converted image, but hands the same image straight back: resize-image -> detect-format -> resize-image.
import { type Job, type Step, defineJob } from "../../../core/index.ts";

type Image = { key: string; format: "png" | "jpeg" | "auto"; width: number };

export const encodePng: Job<Image, string> = defineJob({ name: "encode-png", *run(img: Image): Step<string> { return `${img.key}.png`; } });
export const encodeJpeg: Job<Image, string> = defineJob({ name: "encode-jpeg", *run(img: Image): Step<string> { return `${img.key}.jpg`; } });

export const resizeImage: Job<Image, string> = defineJob({
  name: "resize-image",
  *run(image: Image): Step<string> {
    const byFormat = { png: encodePng, jpeg: encodeJpeg, auto: detectFormat };
    return yield* byFormat[image.format](image);
  },
});

export const detectFormat: Job<Image, string> = defineJob({
  name: "detect-format",
  *run(image: Image): Step<string> {
    return yield* resizeImage(image);
  },
});
