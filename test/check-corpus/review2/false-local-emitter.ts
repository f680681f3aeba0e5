// expect: none
import { defineStage } from "../../../core/index.ts";
class Emitter {
  #handlers: Array<(v: number) => void> = [];
  on(h: (v: number) => void): void { this.#handlers.push(h); }
  emit(v: number): void { for (const h of this.#handlers) h(v); }
}
export const s = defineStage({ name: "min/emitter", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { xs: number[] }) => {
    let sum = 0;
    const em = new Emitter();
    em.on((v) => { sum += v; });
    for (const x of input.xs) em.emit(x);
    return sum;
  },
});
