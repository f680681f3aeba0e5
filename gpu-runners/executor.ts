/**
 * Runs a SIMD stage's kernel on the device, per the contract in core/sdk/stage.ts:
 *
 *   binding = kernel.bind(input)                       (pure, on the CPU)
 *   @group(0) @binding(0 .. k-1)  binding.inputs       var<storage, read>
 *   @group(0) @binding(k)         the output           var<storage, read_write>, zero-filled
 *   @group(0) @binding(k+1)       binding.params       var<uniform>, u32s zero-padded to 16 bytes
 *   dispatchWorkgroups(...binding.workgroups), copy the output to a MAP_READ buffer, map it,
 *   result = kernel.read(output, input)
 *
 * The pipeline layout is explicit (this layout, not "auto"), so a kernel that leaves a binding
 * unused still binds, and one that declares a binding otherwise is refused with a clear error.
 * Shader modules are compiled once per stage and pipelines built once per (stage, k), for as
 * long as the device lives; compile errors are cached too (the WGSL will not change).
 *
 * Failures come back as errors the runner reports as the call's failure, never a crash:
 *   WgslCompileError     the WGSL does not compile (line:column and the compiler's message)
 *   KernelBindingError   bind() broke the contract or asks for more than the device allows
 *   GpuValidationError   WebGPU refused the pipeline, bind group or dispatch
 *   GpuOutOfMemoryError  the device could not allocate a buffer
 *   DeviceLostError      the device was lost twice during the call (once is retried on the new one)
 * An error thrown by bind() or read() themselves is the stage's own failure and passes through.
 *
 * GPU work is serialised (one call on the device at a time): error scopes are a per-device
 * stack, and the phases are timed separately, each ending with onSubmittedWorkDone:
 *   upload     create the buffers, write the inputs and params
 *   kernel     the dispatch (and, with timestamp-query, the GPU's own measure of it)
 *   readback   copy the output to the MAP_READ buffer, map it, copy it out
 */
import type { Value } from "../core/codec.ts";
import type { KernelArray, KernelBinding, SimdKernel, Stage } from "../core/sdk/stage.ts";
import { runStage } from "../core/sdk/run-stage.ts";
import { freezeInputsFromEnv } from "../runners/stage-environment.ts";
import { DeviceLostError, type Gpu } from "./device.ts";

// GPUBufferUsage and GPUMapMode bits (WebGPU spec constants).
const MAP_READ = 0x0001;
const COPY_SRC = 0x0004;
const COPY_DST = 0x0008;
const UNIFORM = 0x0040;
const STORAGE = 0x0080;
const QUERY_RESOLVE = 0x0200;
const MAP_MODE_READ = 0x0001;
const COMPUTE_STAGE = 0x4;

type AnyStage = Stage<Value, Value>;
type AnyKernel = SimdKernel<Value, Value>;

export class WgslCompileError extends Error {
  override readonly name = "WgslCompileError";
}
export class KernelBindingError extends Error {
  override readonly name = "KernelBindingError";
}
export class GpuValidationError extends Error {
  override readonly name = "GpuValidationError";
}
export class GpuOutOfMemoryError extends Error {
  override readonly name = "GpuOutOfMemoryError";
}

/** Where a call's time went, in ms (wall clock on this host, except gpuKernelMs). */
export interface KernelTimings {
  /** kernel.bind(input). */
  readonly bindMs: number;
  /** Buffers created, inputs and params written, until the queue had them. */
  readonly uploadMs: number;
  /** Dispatch submitted until done. */
  readonly kernelMs: number;
  /** The dispatch as the GPU measured it (timestamp queries), when the device supports them. */
  readonly gpuKernelMs?: number;
  /** Output copied to a MAP_READ buffer, mapped and copied out. */
  readonly readbackMs: number;
  /** kernel.read(output, input). */
  readonly readMs: number;
  /** What a call costs on this runner: bind + upload + kernel + readback + read (not the wait for the device behind other calls, nor building a pipeline on first use). */
  readonly totalMs: number;
  /** Pipeline compiled for this call (first call of a stage on a device). */
  readonly compiled: boolean;
  readonly bytesUp: number;
  readonly bytesDown: number;
}

export interface KernelRun {
  readonly value: Value;
  readonly timings: KernelTimings;
}

interface StageStats {
  calls: number;
  failures: number;
}

/** Counters and recent timings of the executor (GpuRunner.gpuStatus()). */
export interface GpuStats {
  readonly kernelCalls: number;
  readonly kernelFailures: number;
  readonly cpuCalls: number;
  readonly lastError?: { readonly at: number; readonly stage: string; readonly name: string; readonly message: string };
  /** Medians over the last RECENT kernel calls. */
  readonly recent: {
    readonly calls: number;
    readonly kernelMs: number;
    readonly gpuKernelMs?: number;
    readonly transferMs: number;
    readonly totalMs: number;
  };
  readonly stages: Readonly<Record<string, { readonly calls: number; readonly failures: number }>>;
}

const RECENT = 64;

/** Per device: compiled modules and pipelines, the explicit layouts, timestamp resources. */
interface DeviceCache {
  readonly device: GPUDevice;
  readonly generation: number;
  readonly modules: Map<string, Promise<GPUShaderModule>>;
  readonly pipelines: Map<string, Promise<GPUComputePipeline>>;
  readonly layouts: Map<number, { readonly group: GPUBindGroupLayout; readonly pipeline: GPUPipelineLayout }>;
  timestamps?: { readonly set: GPUQuerySet; readonly resolve: GPUBuffer; readonly read: GPUBuffer } | null;
}

const now = () => performance.now();

const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export interface GpuExecutorOptions {
  readonly gpu: Gpu;
  /** The bundled stages (a registry's `stages`): nothing else ever runs. */
  readonly stages: ReadonlyMap<string, AnyStage>;
  readonly log?: (line: string) => void;
}

export class GpuExecutor {
  readonly #gpu: Gpu;
  readonly #stages: ReadonlyMap<string, AnyStage>;
  readonly #log: (line: string) => void;
  #cache: DeviceCache | undefined;
  /** Serialises GPU work (see the top of this file). */
  #lock: Promise<void> = Promise.resolve();
  readonly #recent: KernelTimings[] = [];
  readonly #byStage = new Map<string, StageStats>();
  #kernelCalls = 0;
  #kernelFailures = 0;
  #cpuCalls = 0;
  #lastError: GpuStats["lastError"];
  readonly #warned = new Set<string>();
  /** PAXFLOW_FREEZE_INPUTS, for stages run through their CPU reference (core/sdk/run-stage.ts). */
  readonly #freezeInputs = freezeInputsFromEnv();

  constructor(options: GpuExecutorOptions) {
    this.#gpu = options.gpu;
    this.#stages = options.stages;
    this.#log = options.log ?? ((line: string) => console.error(line));
  }

  /** The bundled stages that carry a kernel. */
  kernelStages(): AnyStage[] {
    return [...this.#stages.values()].filter((s) => s.kernel !== undefined);
  }

  /**
   * Runs one call: the kernel for a stage that has one, else (a SIMD/GPU-tagged stage without a
   * kernel) its `run`. Only bundled stages; the runner's hasStage has refused the rest already.
   */
  async execute(ref: string, input: Value): Promise<Value> {
    const stage = this.#stages.get(ref);
    if (!stage) throw new Error(`stage "${ref}" is not bundled with this gpu-runner`);
    if (!stage.kernel) {
      this.#cpuCalls++;
      return runStage(stage, input, { freezeInput: this.#freezeInputs });
    }
    return (await this.runKernel(stage, input)).value;
  }

  /** Runs a stage's kernel on `input`, with its timings; a device lost mid-call is retried once on the new device. */
  async runKernel(stage: AnyStage, input: Value): Promise<KernelRun> {
    const kernel = stage.kernel;
    if (!kernel) throw new Error(`stage "${stage.ref}" has no kernel`);
    const stats = this.#statsOf(stage.ref);
    stats.calls++;
    this.#kernelCalls++;
    try {
      let run: KernelRun;
      try {
        run = await this.#once(stage, kernel, input);
      } catch (error) {
        if (!(await this.#wasLost(error))) throw error;
        this.#log(`gpu: stage ${stage.ref}: the device was lost during the call; running it again on the new device`);
        await this.#gpu.ready();
        run = await this.#once(stage, kernel, input);
      }
      this.#recent.push(run.timings);
      if (this.#recent.length > RECENT) this.#recent.shift();
      return run;
    } catch (error) {
      stats.failures++;
      this.#kernelFailures++;
      const e = error instanceof Error ? error : new Error(String(error));
      this.#lastError = { at: Date.now(), stage: stage.ref, name: e.name, message: e.message.slice(0, 1_000) };
      throw error;
    }
  }

  stats(): GpuStats {
    const r = this.#recent;
    const gpuTimes = r.flatMap((t) => (t.gpuKernelMs === undefined ? [] : [t.gpuKernelMs]));
    return {
      kernelCalls: this.#kernelCalls,
      kernelFailures: this.#kernelFailures,
      cpuCalls: this.#cpuCalls,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
      recent: {
        calls: r.length,
        kernelMs: median(r.map((t) => t.kernelMs)),
        ...(gpuTimes.length > 0 ? { gpuKernelMs: median(gpuTimes) } : {}),
        transferMs: median(r.map((t) => t.uploadMs + t.readbackMs)),
        totalMs: median(r.map((t) => t.totalMs)),
      },
      stages: Object.fromEntries([...this.#byStage].map(([ref, s]) => [ref, { calls: s.calls, failures: s.failures }])),
    };
  }

  /**
   * For heartbeats and GET /v1/status (NodeLoad): the mean, over the last RECENT kernel calls,
   * of the dispatch (submitted until done) and of moving the data (upload + readback), in ms.
   * Empty until a kernel has run.
   */
  recentLoad(): { recentComputeMs?: number; recentTransferMs?: number } {
    const r = this.#recent;
    if (r.length === 0) return {};
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return {
      recentComputeMs: mean(r.map((t) => t.kernelMs)),
      recentTransferMs: mean(r.map((t) => t.uploadMs + t.readbackMs)),
    };
  }

  #statsOf(ref: string): StageStats {
    let s = this.#byStage.get(ref);
    if (!s) this.#byStage.set(ref, (s = { calls: 0, failures: 0 }));
    return s;
  }

  /** Whether a failure came from the device being lost (not from the stage or its kernel). */
  async #wasLost(error: unknown): Promise<boolean> {
    if (this.#gpu.closed) return false;
    if (error instanceof DeviceLostError) {
      // The lost promise may settle just after the failed map: give it a moment to start the replacement.
      const device = this.#cache?.device;
      if (device) await Promise.race([device.lost, new Promise((r) => setTimeout(r, 100))]);
      return true;
    }
    return this.#cache !== undefined && this.#cache.generation !== this.#gpu.generation;
  }

  async #once(stage: AnyStage, kernel: AnyKernel, input: Value): Promise<KernelRun> {
    const t0 = now();
    // bind() is the stage's code: what it throws is the stage's failure, as from run().
    const binding = kernel.bind(input);
    const bindMs = now() - t0;
    const release = await this.#acquire();
    // The call's own time: waiting for the device behind another call is queueing, not cost.
    const t1 = now();
    try {
      await this.#gpu.ready();
      const cache = this.#deviceCache();
      checkBinding(stage.ref, binding, cache.device.limits);
      const k = binding.inputs.length;
      const compileStart = now();
      const pipelineKey = `${stage.ref}#${k}`;
      const compiled = !cache.pipelines.has(pipelineKey);
      const pipeline = await this.#pipeline(cache, stage, kernel, k);
      const compileMs = now() - compileStart;
      const gpuRun = await this.#dispatch(cache, stage.ref, binding, pipeline);
      const readStart = now();
      const value = kernel.read(gpuRun.output, input);
      const readMs = now() - readStart;
      const totalMs = bindMs + (now() - t1) - (compiled ? compileMs : 0);
      return { value, timings: { bindMs, ...gpuRun.timings, readMs, totalMs, compiled } };
    } finally {
      release();
    }
  }

  async #acquire(): Promise<() => void> {
    let release = () => {};
    const next = new Promise<void>((resolve) => (release = resolve));
    const previous = this.#lock;
    this.#lock = previous.then(() => next);
    await previous;
    return release;
  }

  #deviceCache(): DeviceCache {
    const device = this.#gpu.device;
    if (!this.#cache || this.#cache.device !== device) {
      this.#cache = { device, generation: this.#gpu.generation, modules: new Map(), pipelines: new Map(), layouts: new Map() };
    }
    return this.#cache;
  }

  #layout(cache: DeviceCache, k: number) {
    let layout = cache.layouts.get(k);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [];
      for (let i = 0; i < k; i++) entries.push({ binding: i, visibility: COMPUTE_STAGE, buffer: { type: "read-only-storage" } });
      entries.push({ binding: k, visibility: COMPUTE_STAGE, buffer: { type: "storage" } });
      entries.push({ binding: k + 1, visibility: COMPUTE_STAGE, buffer: { type: "uniform" } });
      const group = cache.device.createBindGroupLayout({ label: `paxflow ${k} inputs`, entries });
      const pipeline = cache.device.createPipelineLayout({ label: `paxflow ${k} inputs`, bindGroupLayouts: [group] });
      cache.layouts.set(k, (layout = { group, pipeline }));
    }
    return layout;
  }

  #module(cache: DeviceCache, stage: AnyStage, kernel: AnyKernel): Promise<GPUShaderModule> {
    let module = cache.modules.get(stage.ref);
    if (!module) {
      module = compile(cache.device, stage.ref, kernel.wgsl, (line) => {
        if (this.#warned.has(stage.ref)) return;
        this.#warned.add(stage.ref);
        this.#log(line);
      });
      cache.modules.set(stage.ref, module);
    }
    return module;
  }

  #pipeline(cache: DeviceCache, stage: AnyStage, kernel: AnyKernel, k: number): Promise<GPUComputePipeline> {
    const key = `${stage.ref}#${k}`;
    let pipeline = cache.pipelines.get(key);
    if (!pipeline) {
      pipeline = (async () => {
        const module = await this.#module(cache, stage, kernel);
        const layout = this.#layout(cache, k);
        try {
          return await cache.device.createComputePipelineAsync({
            label: stage.ref,
            layout: layout.pipeline,
            compute: { module, entryPoint: kernel.entryPoint },
          });
        } catch (error) {
          throw new GpuValidationError(
            `stage "${stage.ref}": WebGPU refused its kernel's pipeline (entry point "${kernel.entryPoint}", ${k} input(s)): ${firstLines(errorText(error)).replace(/\.+$/, "")}. ` +
              `The gpu-runner binds, in @group(0), ${layoutText(k)}`,
          );
        }
      })();
      cache.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  #timestamps(cache: DeviceCache): DeviceCache["timestamps"] {
    if (cache.timestamps === undefined) {
      cache.timestamps = null;
      if (this.#gpu.hasFeature("timestamp-query")) {
        try {
          cache.timestamps = {
            set: cache.device.createQuerySet({ type: "timestamp", count: 2 }),
            resolve: cache.device.createBuffer({ size: 16, usage: QUERY_RESOLVE | COPY_SRC }),
            read: cache.device.createBuffer({ size: 16, usage: MAP_READ | COPY_DST }),
          };
        } catch {
          cache.timestamps = null;
        }
      }
    }
    return cache.timestamps;
  }

  async #dispatch(
    cache: DeviceCache,
    ref: string,
    binding: KernelBinding,
    pipeline: GPUComputePipeline,
  ): Promise<{ output: KernelArray; timings: Omit<KernelTimings, "bindMs" | "readMs" | "totalMs" | "compiled"> }> {
    const { device } = cache;
    const k = binding.inputs.length;
    const outputBytes = binding.output.length * 4;
    const owned: GPUBuffer[] = [];
    const buffer = (size: number, usage: number, label: string) => {
      const b = device.createBuffer({ size: Math.max(16, Math.ceil(size / 4) * 4), usage, label });
      owned.push(b);
      return b;
    };
    const timestamps = this.#timestamps(cache);
    device.pushErrorScope("out-of-memory");
    device.pushErrorScope("validation");
    let popped = false;
    const pop = () => {
      popped = true;
      const validation = device.popErrorScope();
      const memory = device.popErrorScope();
      return Promise.all([validation, memory]);
    };
    try {
      // Upload.
      const t0 = now();
      let bytesUp = 0;
      const inputs = binding.inputs.map((data, i) => {
        const b = buffer(data.byteLength, STORAGE | COPY_DST, `${ref} input ${i}`);
        if (data.byteLength > 0) device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
        bytesUp += data.byteLength;
        return b;
      });
      // Zero-filled: WebGPU initialises every new buffer to zeros.
      const output = buffer(outputBytes, STORAGE | COPY_SRC, `${ref} output`);
      const params = new Uint32Array(Math.max(4, Math.ceil(binding.params.length / 4) * 4));
      params.set(binding.params);
      const uniform = buffer(params.byteLength, UNIFORM | COPY_DST, `${ref} params`);
      device.queue.writeBuffer(uniform, 0, params);
      bytesUp += params.byteLength;
      const readback = buffer(outputBytes, MAP_READ | COPY_DST, `${ref} readback`);
      device.queue.submit([]);
      await device.queue.onSubmittedWorkDone();
      const t1 = now();

      // Kernel.
      const group = device.createBindGroup({
        label: `${ref} bindings`,
        layout: this.#layout(cache, k).group,
        entries: [...inputs, output, uniform].map((b, i) => ({ binding: i, resource: { buffer: b } })),
      });
      const encoder = device.createCommandEncoder({ label: ref });
      const pass = encoder.beginComputePass(
        timestamps ? { label: ref, timestampWrites: { querySet: timestamps.set, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : { label: ref },
      );
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      const [x, y, z] = binding.workgroups;
      if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
      pass.end();
      if (timestamps) encoder.resolveQuerySet(timestamps.set, 0, 2, timestamps.resolve, 0);
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      const t2 = now();

      // Readback.
      const copy = device.createCommandEncoder({ label: `${ref} readback` });
      copy.copyBufferToBuffer(output, 0, readback, 0, readback.size);
      if (timestamps) copy.copyBufferToBuffer(timestamps.resolve, 0, timestamps.read, 0, 16);
      device.queue.submit([copy.finish()]);
      const maps = [readback.mapAsync(MAP_MODE_READ), ...(timestamps ? [timestamps.read.mapAsync(MAP_MODE_READ)] : [])];
      const [errors, mapped] = await Promise.all([pop(), Promise.allSettled(maps)]);
      const [validation, memory] = errors;
      if (memory) throw new GpuOutOfMemoryError(`stage "${ref}": the GPU ran out of memory: ${firstLines(memory.message)}`);
      if (validation) throw new GpuValidationError(`stage "${ref}": WebGPU validation error: ${firstLines(validation.message)}`);
      const failedMap = mapped.find((m) => m.status === "rejected");
      if (failedMap) {
        const reason = errorText(failedMap.reason);
        if (/lost|destroy/i.test(reason)) throw new DeviceLostError(`stage "${ref}": the GPU device was lost during the call: ${reason}`);
        throw new GpuValidationError(`stage "${ref}": could not read the output back: ${reason}`);
      }
      const out = typedArrayOf(binding.output.type, readback.getMappedRange(0, readback.size).slice(0, outputBytes));
      readback.unmap();
      let gpuKernelMs: number | undefined;
      if (timestamps) {
        const [begin, end] = new BigUint64Array(timestamps.read.getMappedRange(0, 16).slice(0));
        timestamps.read.unmap();
        const ns = Number(end! - begin!);
        if (end! > begin! && Number.isFinite(ns)) gpuKernelMs = ns / 1e6;
      }
      const t3 = now();
      return {
        output: out,
        timings: { uploadMs: t1 - t0, kernelMs: t2 - t1, ...(gpuKernelMs !== undefined ? { gpuKernelMs } : {}), readbackMs: t3 - t2, bytesUp, bytesDown: outputBytes },
      };
    } catch (error) {
      if (popped) throw error;
      // Something threw before the scopes were popped (a buffer the device refused outright, say):
      // what the scopes caught is the clearer story.
      const [validation, memory] = await pop().catch(() => [null, null] as const);
      if (memory) throw new GpuOutOfMemoryError(`stage "${ref}": the GPU ran out of memory: ${firstLines(memory.message)}`);
      if (validation) throw new GpuValidationError(`stage "${ref}": WebGPU validation error: ${firstLines(validation.message)}`);
      if (this.#gpu.closed || /lost|destroy/i.test(errorText(error))) throw new DeviceLostError(`stage "${ref}": the GPU device is gone: ${errorText(error)}`);
      throw error;
    } finally {
      for (const b of owned) b.destroy();
      if (timestamps?.read.mapState === "mapped") timestamps.read.unmap();
    }
  }
}

async function compile(device: GPUDevice, ref: string, wgsl: string, warn: (line: string) => void): Promise<GPUShaderModule> {
  device.pushErrorScope("validation");
  const module = device.createShaderModule({ label: ref, code: wgsl });
  const scope = device.popErrorScope();
  const info = await module.getCompilationInfo();
  const scoped = await scope;
  const errors = info.messages.filter((m) => m.type === "error");
  const lines = wgsl.split("\n");
  // The compiler's headline, the source line with a caret under the column, then its details.
  const show = (m: GPUCompilationMessage) => {
    const [headline = "", ...details] = m.message.split("\n");
    const source = lines[m.lineNum - 1];
    const caret = source === undefined ? "" : `\n    ${source}\n    ${" ".repeat(Math.max(0, m.linePos - 1))}^`;
    const more = details.filter((l) => l.trim() !== "").map((l) => `\n    ${l}`).join("");
    return `line ${m.lineNum}:${m.linePos}: ${headline}${caret}${more}`;
  };
  if (errors.length > 0) {
    throw new WgslCompileError(`stage "${ref}": its WGSL kernel does not compile:\n  ${errors.map(show).join("\n  ")}`);
  }
  if (scoped) throw new WgslCompileError(`stage "${ref}": its WGSL kernel does not compile: ${firstLines(scoped.message)}`);
  const warnings = info.messages.filter((m) => m.type === "warning");
  if (warnings.length > 0) warn(`gpu: stage ${ref}: WGSL warnings:\n  ${warnings.map(show).join("\n  ")}`);
  return module;
}

function typedArrayOf(type: KernelBinding["output"]["type"], bytes: ArrayBuffer): KernelArray {
  if (type === "f32") return new Float32Array(bytes);
  if (type === "u32") return new Uint32Array(bytes);
  return new Int32Array(bytes);
}

/** The binding layout for k inputs, in words. */
export function layoutText(k: number): string {
  const inputs = k === 0 ? "" : k === 1 ? "@binding(0) as var<storage, read>, " : `@binding(0..${k - 1}) as var<storage, read>, `;
  return `${inputs}@binding(${k}) as var<storage, read_write> (the output), @binding(${k + 1}) as var<uniform> (the params)`;
}

/** Dawn's messages carry a long trail of "While ..." context; keep the part that says what happened. */
function firstLines(message: string): string {
  const kept = message
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0)
    .slice(0, 6);
  return kept.join(" | ");
}

const KERNEL_ARRAYS = [Float32Array, Uint32Array, Int32Array] as const;

/** The contract's rules, and the device's limits, checked before anything touches the GPU. */
export function checkBinding(ref: string, binding: KernelBinding, limits: GPUSupportedLimits): void {
  const fail = (message: string): never => {
    throw new KernelBindingError(`stage "${ref}": kernel.bind() ${message}`);
  };
  if (typeof binding !== "object" || binding === null) fail("must return { inputs, output, params, workgroups }");
  const { inputs, output, params, workgroups } = binding;
  if (!Array.isArray(inputs)) fail("returned no `inputs` array");
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  inputs.forEach((a, i) => {
    if (!KERNEL_ARRAYS.some((T) => a instanceof T)) fail(`inputs[${i}] must be a Float32Array, Uint32Array or Int32Array`);
    if (a.byteLength > limits.maxStorageBufferBindingSize || a.byteLength > limits.maxBufferSize) {
      fail(`inputs[${i}] is ${mib(a.byteLength)}, more than this device binds (maxStorageBufferBindingSize ${mib(limits.maxStorageBufferBindingSize)})`);
    }
  });
  if (inputs.length + 1 > limits.maxStorageBuffersPerShaderStage) {
    fail(`asks for ${inputs.length} inputs; this device binds at most ${limits.maxStorageBuffersPerShaderStage - 1} (plus the output)`);
  }
  if (typeof output !== "object" || output === null) fail("returned no `output`");
  if (output.type !== "f32" && output.type !== "u32" && output.type !== "i32") fail(`output.type must be "f32", "u32" or "i32", got ${JSON.stringify(output.type)}`);
  if (!(Number.isSafeInteger(output.length) && output.length >= 0)) fail(`output.length must be a non-negative integer, got ${output.length}`);
  const outBytes = output.length * 4;
  if (outBytes > limits.maxStorageBufferBindingSize || outBytes > limits.maxBufferSize) {
    fail(`asks for an output of ${mib(outBytes)}, more than this device binds (maxStorageBufferBindingSize ${mib(limits.maxStorageBufferBindingSize)})`);
  }
  if (!Array.isArray(params)) fail("returned no `params` array");
  params.forEach((p, i) => {
    if (!(Number.isInteger(p) && p >= 0 && p <= 0xffff_ffff)) fail(`params[${i}] must be a u32 (an integer from 0 to 2^32-1), got ${p}`);
  });
  if (Math.max(16, params.length * 4) > limits.maxUniformBufferBindingSize) fail(`returned ${params.length} params, more than a uniform buffer holds here`);
  if (!(Array.isArray(workgroups) && workgroups.length === 3)) fail("must return workgroups as [x, y, z]");
  const max = limits.maxComputeWorkgroupsPerDimension;
  workgroups.forEach((w, i) => {
    if (!(Number.isInteger(w) && w >= 0 && w <= max)) fail(`workgroups[${i}] must be an integer from 0 to ${max} (this device's maxComputeWorkgroupsPerDimension), got ${w}`);
  });
}
