// expect: none
import { defineStage } from "../../../core/index.ts";
function* naturals(): Generator<number, void, undefined> { let n = 0; for (;;) yield n++; }
export const s = defineStage({ name: "min/iterator-return", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { n: number }) => {
    const g = naturals();
    const out: number[] = [];
    for (let i = 0; i < input.n; i++) out.push(g.next().value as number);
    g.return(undefined);
    return out;
  },
});
