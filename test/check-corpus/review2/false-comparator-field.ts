// expect: none
import { defineStage } from "../../../core/index.ts";
class MinHeap<T> {
  #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;
  constructor(less: (a: T, b: T) => boolean) { this.#less = less; }
  push(x: T): void { this.#items.push(x); }
  min(): T | undefined { let best: T | undefined; for (const x of this.#items) if (best === undefined || this.#less(x, best)) best = x; return best; }
}
export const s = defineStage({ name: "min/comparator-field", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { xs: number[] }) => { const h = new MinHeap<number>((a, b) => a < b); for (const x of input.xs) h.push(x); return h.min(); },
});
