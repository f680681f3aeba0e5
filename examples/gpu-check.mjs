// Runs the numeric-pipeline kernels on a real WebGPU implementation, bound by the convention
// documented at the top of numeric-pipeline.ts, and compares each result with the stage's CPU
// reference `run`. Not part of the test suite: it needs a WebGPU for Node and a driver.
//
//   npm install --no-save webgpu        # Dawn for Node (ships its own binary)
//   npx tsx examples/gpu-check.mjs
//
// Without a GPU, Mesa's software Vulkan driver works (Debian: mesa-vulkan-drivers 25 from
// bookworm-backports; 22.x lacks a feature Dawn requires). Exits 1 on any disagreement.
import { matmul, sum } from "./numeric-pipeline.ts";

let webgpu;
try {
  webgpu = await import("webgpu");
} catch {
  console.error("gpu-check: the `webgpu` package is not installed (npm install --no-save webgpu)");
  process.exit(2);
}
Object.assign(globalThis, webgpu.globals);
// Keep the GPU object referenced: Dawn's Node binding crashes if it is collected mid-run.
const gpu = webgpu.create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) {
  console.error("gpu-check: no WebGPU adapter (no GPU and no software Vulkan driver?)");
  process.exit(2);
}
const device = await adapter.requestDevice();
console.log(`adapter: ${adapter.info.description || adapter.info.vendor}`);

/** Binds and dispatches `stage.kernel` for `input` by the convention; returns the output buffer. */
async function dispatch(stage, input, outputLength) {
  const isArray = ArrayBuffer.isView(input);
  const arrays = isArray ? [input] : Object.values(input).filter((v) => ArrayBuffer.isView(v));
  const numbers = isArray ? [] : Object.values(input).filter((v) => typeof v === "number");
  const params = new Uint32Array(Math.max(4, Math.ceil((numbers.length + arrays.length) / 4) * 4));
  params.set([...numbers, ...arrays.map((a) => a.length)]);
  const buffer = (data, usage) => {
    const b = device.createBuffer({ size: Math.max(16, Math.ceil(data.byteLength / 4) * 4), usage: usage | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    return b;
  };
  const bindings = [
    ...arrays.map((a) => buffer(a, GPUBufferUsage.STORAGE)),
    buffer(new Float32Array(outputLength), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC),
    buffer(params, GPUBufferUsage.UNIFORM),
  ];
  const output = bindings[arrays.length];
  const readback = device.createBuffer({ size: output.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const module = device.createShaderModule({ code: stage.kernel.wgsl });
  const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: stage.kernel.entryPoint } });
  const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: bindings.map((b, binding) => ({ binding, resource: { buffer: b } })) });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(...stage.kernel.dispatch(input));
  pass.end();
  encoder.copyBufferToBuffer(output, 0, readback, 0, output.size);
  device.queue.submit([encoder.finish()]);
  await readback.mapAsync(GPUMapMode.READ);
  const result = new Float32Array(readback.getMappedRange().slice(0, outputLength * 4));
  readback.unmap();
  return result;
}

let seed = 42;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
let failures = 0;

for (const n of [1, 2, 15, 16, 17, 37, 64, 100]) {
  const a = Float32Array.from({ length: n * n }, random);
  const b = Float32Array.from({ length: n * n }, random);
  const gpu = await dispatch(matmul, { a, b, n }, n * n);
  const cpu = matmul.run({ a, b, n });
  // Same order of operations: equal bits, unless the GPU compiler fuses multiply-adds; then
  // both are within γ_n·Σ|a·b| of the exact value, so within twice that of each other.
  let equal = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const e = i * n + j;
      if (Object.is(gpu[e], cpu[e])) {
        equal++;
        continue;
      }
      let abs = 0;
      for (let k = 0; k < n; k++) abs += Math.abs(a[i * n + k] * b[k * n + j]);
      if (Math.abs(gpu[e] - cpu[e]) > 2 * n * 2 ** -24 * abs) failures++;
    }
  }
  console.log(`matmul n=${n}: ${equal}/${n * n} entries bit-equal to run()`);
}

for (const length of [0, 1, 255, 256, 257, 10_000, 100_000]) {
  const xs = Float32Array.from({ length }, () => random() * 1000);
  const [gpu] = await dispatch(sum, xs, 1);
  const cpu = sum.run(xs);
  // Additions only, in the same order, each correctly rounded in WGSL: bits must agree.
  if (!Object.is(gpu, cpu)) failures++;
  console.log(`sum length=${length}: gpu ${gpu}, run() ${cpu}${Object.is(gpu, cpu) ? "" : "  MISMATCH"}`);
}

console.log(failures === 0 ? "gpu-check: kernels agree with their CPU references" : `gpu-check: ${failures} disagreements`);
process.exit(failures === 0 ? 0 : 1);
