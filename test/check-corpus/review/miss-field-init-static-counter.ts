// expect: purity/outer-write@6
import { defineStage, defineJob, all } from "../../../core/index.ts";
// An instance field initialiser bumps a static counter each time a local instance is made.
class Node2 {
  static count = 0;
  readonly id = Node2.count++;
  constructor(readonly label: string) {}
}
export const s = defineStage({
  name: "miss-field-init-static-counter", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (labels: string[]) => labels.map((l) => new Node2(l).id),
});
