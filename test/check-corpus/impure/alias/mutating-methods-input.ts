// expect: purity/outer-write@12 purity/outer-write@13 purity/outer-write@14 purity/outer-write@15
// Mutating methods and operators applied to the input: splice, fill, copyWithin, delete and
// Object.assign all write it. The same operations on a deep copy are fine.
import { defineStage } from "../../../../core/index.ts";

interface Frame { samples: number[]; ring: Int16Array; meta: { codec?: string; gain: number } }

export const trimFrame = defineStage({
  name: "trim-frame", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => bytes / 100_000, outputBytes: (bytes) => bytes },
  run: (frame: Frame) => {
    frame.samples.splice(0, 16);
    frame.ring.copyWithin(0, 128);
    delete frame.meta.codec;
    Object.assign(frame.meta, { gain: 1 });
    const own = structuredClone(frame);
    own.samples.splice(0, 16);
    own.ring.copyWithin(0, 128).fill(0, 128);
    delete own.meta.codec;
    Object.assign(own.meta, { gain: 1 });
    return own;
  },
});
