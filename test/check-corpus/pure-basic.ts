// expect: none
// The SDK's own example: stage calls, all(...) fan-out, a sub-job call.
import { all, defineJob, defineStage } from "../../core/index.ts";

export const square = defineStage({
  name: "square", version: 1, caps: ["cpu"], timeoutMs: 2_000,
  cost: { runtimeMs: (n) => 0.002 * n, outputBytes: (n) => n },
  run: (xs: number[]) => xs.map((x) => x * x),
});

export const sum = defineStage({
  name: "sum", version: 1, caps: ["cpu", "simd"], timeoutMs: 1000,
  cost: { runtimeMs: (n) => 0.001 * n, outputBytes: () => 8 },
  run: (xs: number[]) => xs.reduce((a, b) => a + b, 0),
});

export const double = defineJob({
  name: "double",
  *run(x: number) {
    const [y] = yield* square([x]);
    return (y ?? 0) * 2;
  },
});

export const sumOfSquares = defineJob({
  name: "sum-of-squares",
  *run(xs: number[]) {
    const sq = yield* square(xs);
    const [a, b] = yield* all(sum(sq.slice(0, 8)), sum(sq.slice(8)));
    const c = yield* double(a + b);
    return c;
  },
});
