// expect: purity/outer-write@7 purity/outer-write@11
// A helper that mutates its argument is impure even when the caller passes its own data:
// parameters are not the helper's locals.
import { defineStage } from "../../core/index.ts";

function addAll(target: number[], xs: readonly number[]): void {
  for (const x of xs) target.push(x);
}

function bumpFirst(xs: number[]): void {
  xs[0] = (xs[0] ?? 0) + 1;
}

export const merged = defineStage({
  name: "merged", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (n) => n, outputBytes: (n) => n },
  run: ({ a, b }: { a: number[]; b: number[] }) => {
    const out: number[] = [];
    addAll(out, a);
    addAll(out, b);
    bumpFirst(out);
    return out;
  },
});
