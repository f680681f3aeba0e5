// expect: none
// A job fans out with all(), then mutates the arrays and objects it received (its own copies): concat
// into the first, set fields on a result object, and splice.
import { all, defineJob, defineStage } from "../../../../core/index.ts";

export const chunkStats = defineStage({
  name: "pure-job-chunk-stats", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 1e-6, outputBytes: () => 48 },
  run: (xs: number[]) => ({ n: xs.length, sum: xs.reduce((a, b) => a + b, 0), ids: xs.map((x) => `#${x}`), label: "" }),
});

export const mergeStats = defineJob({
  name: "pure-job-merge-stats",
  *run(xs: number[]) {
    const half = Math.ceil(xs.length / 2);
    const [left, right] = yield* all(chunkStats(xs.slice(0, half)), chunkStats(xs.slice(half)));
    left.n += right.n;
    left.sum += right.sum;
    left.ids.push(...right.ids);
    left.ids.splice(100);
    left.label = `merged ${left.n}`;
    return left;
  },
});
