// expect: purity/outer-read@7 purity/outer-write@9
import { defineStage } from "paxflow";
const SHARED: number[] = [];
const LIMIT = { n: 3 };
export function other(x: number): void { const r = build(x); r.push(0); }
function build(n: number): number[] {
  if (n === 0) return SHARED;
  const sub = build(n - 1);
  sub.push(n);
  return sub;
}
export const s = defineStage({
  name: "s", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: number) => {
    const k = LIMIT.n;
    build(input + k);
    return 1;
  },
});
