// expect: purity/outer-write@7
import { defineStage } from "paxflow";
const SHARED: number[] = [];
type L = number[] | undefined;
function pick(a: L, b: L, c: L, d: L, e: L, f: L, g: L, h: L, i: number[]): void {
  const x = a ?? b ?? c ?? d ?? e ?? f ?? g ?? h ?? i;
  x.push(1);
}
export const s = defineStage({
  name: "s", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: number) => {
    pick(undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, SHARED);
    return input;
  },
});
