// expect: purity/outer-write@8 purity/outer-write@12 purity/outer-write@16
// A helper that mutates its parameter is judged at its call sites: it is impure when some call
// passes something that is not a fresh local of the caller (module state, the stage's input).
import { defineStage } from "../../core/index.ts";

const seen: number[] = [];
function addAll(target: number[], xs: readonly number[]): void {
  for (const x of xs) target.push(x);
}

function bumpFirst(xs: number[]): void {
  xs[0] = (xs[0] ?? 0) + 1;
}

function sortInPlace(xs: number[]): number[] {
  return xs.sort((a, b) => a - b);
}

export const merged = defineStage({
  name: "merged", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (n) => n, outputBytes: (n) => n },
  run: ({ a, b }: { a: number[]; b: number[] }) => {
    const out: number[] = [];
    addAll(out, a);
    addAll(seen, b);
    bumpFirst(out);
    bumpFirst(a);
    return sortInPlace(out);
  },
});

export const sortedInput = defineStage({
  name: "sorted-input", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (n) => n, outputBytes: (n) => n },
  run: (xs: number[]) => sortInPlace(xs),
});
