// expect: purity/outer-write@9 purity/outer-write@10 purity/outer-write@11 purity/outer-write@12
// Typed arrays and DataViews passed in are not the stage's to write; copies are.
import { defineStage } from "../../core/index.ts";

export const patch = defineStage({
  name: "patch", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: (n) => n },
  run: ({ data, view }: { data: Float32Array; view: DataView }) => {
    data.set([1, 2], 0);
    view.setUint8(0, 255);
    data[1] = 0;
    data.fill(0);
    const copy = data.slice();
    copy.set([3], 0);
    copy[0] = 1;
    copy.fill(2, 1);
    const mine = new DataView(new ArrayBuffer(4));
    mine.setUint8(0, 1);
    return copy;
  },
});
