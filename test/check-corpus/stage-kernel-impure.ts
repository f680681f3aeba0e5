// expect: purity/clock@10 purity/random@21 purity/unreadable@28 purity/outer-write@37
// A kernel's bind and read are walked like run: randomness, the clock, outer writes, unreadable members.
import { defineStage } from "../../core/index.ts";

const cost = { runtimeMs: () => 1, outputBytes: () => 1 };
const run = (xs: Float32Array) => xs;
const reads: number[] = [];

function stamped(xs: Float32Array) {
  return { inputs: [xs], output: { type: "f32" as const, length: xs.length }, params: [xs.length, Date.now() >>> 0], workgroups: [1, 1, 1] as [number, number, number] };
}

function makeRead() {
  return (output: Float32Array | Uint32Array | Int32Array) => output as Float32Array;
}

export const jitter = defineStage({
  name: "jitter", version: 1, caps: ["simd"], timeoutMs: 10, cost, run,
  kernel: {
    wgsl: "", entryPoint: "main",
    bind: (xs) => ({ inputs: [xs], output: { type: "f32", length: xs.length }, params: [Math.floor(Math.random() * 4)], workgroups: [1, 1, 1] }),
    read: (output) => output as Float32Array,
  },
});

export const clocked = defineStage({
  name: "clocked", version: 1, caps: ["simd"], timeoutMs: 10, cost, run,
  kernel: { wgsl: "", entryPoint: "main", bind: stamped, read: makeRead() },
});

export const counting = defineStage({
  name: "counting", version: 1, caps: ["simd"], timeoutMs: 10, cost, run,
  kernel: {
    wgsl: "", entryPoint: "main",
    bind: (xs) => ({ inputs: [xs], output: { type: "f32", length: xs.length }, params: [xs.length], workgroups: [1, 1, 1] }),
    read(output) {
      reads.push(output.length);
      return output as Float32Array;
    },
  },
});
