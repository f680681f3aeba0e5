// expect: job/cycle@13:warning
// A cycle that goes through a helper function: outer -> (pick) -> inner -> outer. It is reported
// where the first job of the cycle reaches the next: the call of `inner` inside `pick`.
import { defineJob, defineStage } from "../../core/index.ts";

export const leaf = defineStage({
  name: "leaf", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 1 },
  run: (n: number) => n,
});

function pick(n: number) {
  return n > 10 ? inner(n - 1) : leaf(n);
}

export const outer = defineJob({
  name: "outer",
  *run(n: number): Generator<never, number, unknown> {
    return yield* pick(n); // a helper that returns stage/job calls may be delegated to
  },
});

export const inner = defineJob({
  name: "inner",
  *run(n: number): Generator<never, number, unknown> {
    return yield* outer(n);
  },
});
