// expect: none
import { defineStage } from "paxflow";
class Tree {
  left: Tree | null;
  constructor(depth: number) {
    this.left = depth > 0 ? new Tree(depth - 1) : null;
  }
}
export const s = defineStage({
  name: "s", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: number) => {
    const t = new Tree(input);
    t.left = null;
    return 1;
  },
});
