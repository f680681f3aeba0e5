// expect: purity/outer-write@10 purity/outer-write@13
import { defineStage } from "paxflow";
const SHARED: number[] = [];
export const s = defineStage({
  name: "s", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: number) => {
    let a: number[] | undefined;
    a ??= SHARED;
    a.push(input);
    let b: number[] = [];
    [b] = [SHARED];
    b.push(input);
    return 1;
  },
});
