// expect: none
// Helpers that mutate their parameter are pure when every call passes a fresh local of the caller
// (also through another helper, and in recursion).
import { defineStage } from "../../core/index.ts";

function fill(out: Float32Array, v: number): void {
  for (let i = 0; i < out.length; i++) out[i] = v;
}

function bump(counts: Map<string, number>, w: string): void {
  counts.set(w, (counts.get(w) ?? 0) + 1);
}

function countAll(counts: Map<string, number>, ws: readonly string[], i = 0): void {
  if (i >= ws.length) return;
  bump(counts, ws[i]!);
  countAll(counts, ws, i + 1);
}

export const ones = defineStage({
  name: "ones", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (n) => n, outputBytes: (n) => n },
  run: (n: number) => {
    const a = new Float32Array(n);
    fill(a, 1);
    return a;
  },
});

export const counts = defineStage({
  name: "counts", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (n) => n, outputBytes: (n) => n },
  run: (ws: string[]) => {
    const m = new Map<string, number>();
    countAll(m, ws);
    for (const w of ws) bump(m, w);
    return [...m.values()];
  },
});
