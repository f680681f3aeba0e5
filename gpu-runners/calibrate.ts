/**
 * Start-up calibration: how fast this runner's kernels are compared with the stages' CPU
 * reference `run`, which is what the cost models describe. For each bundled stage that has a
 * kernel and sample inputs (gpu-runners/samples.ts, the stage's documented shapes at a few
 * representative sizes), on each input:
 *
 *   cpuMs  median over `reps` of stage.run(input) on this host
 *   gpuMs  median over `reps` of the kernel call including transfers (bind, upload, dispatch,
 *          readback, read: KernelTimings.totalMs; the first call, which compiles, is a warm-up)
 *   ratio  cpuMs / gpuMs
 *
 * and also checks that the kernel's answer agrees with `run` (within the stage's tolerance).
 *
 *   speed.stages[ref] = the geometric mean of the stage's ratios over its inputs
 *   speed.simd        = the median over the stages (used for kernel stages not measured)
 *   speed.cpu         = 1: the runner also runs SIMD/GPU-tagged stages that have no kernel,
 *                       with their `run` on this host, like a CPU runner of speed 1. It does not
 *                       advertise the "cpu" capability, so plain stages never come here.
 *
 * The cost models are written for the reference machine's `run`; this host's CPU counts as
 * that machine (the same assumption as a CPU runner with --speed 1). A factor below 1 (a
 * software adapter: the "GPU" is these same CPU cores through Mesa) tells the scheduler to
 * route SIMD calls to the CPU backends instead.
 */
import type { Value } from "../core/codec.ts";
import type { SpeedProfile } from "../core/jobs/decisions.ts";
import type { Stage } from "../core/sdk/stage.ts";
import type { AdapterFacts } from "./device.ts";
import type { GpuExecutor } from "./executor.ts";
import { SAMPLES, type SampleSpec, rng } from "./samples.ts";

type AnyStage = Stage<Value, Value>;

export interface InputCalibration {
  readonly size: number;
  readonly unit: SampleSpec["unit"];
  readonly cpuMs: number;
  readonly gpuMs: number;
  /** Parts of gpuMs (medians): the dispatch alone, and upload + readback. */
  readonly kernelMs: number;
  readonly transferMs: number;
  readonly ratio: number;
}

export interface StageCalibration {
  readonly ref: string;
  readonly inputs: readonly InputCalibration[];
  readonly factor: number;
  /** undefined when the kernel agreed with `run` on every input, else the first disagreement. */
  readonly disagreement?: string;
}

export interface Calibration {
  readonly speed: SpeedProfile;
  readonly stages: readonly StageCalibration[];
  /** Kernel stages not measured, and why. */
  readonly skipped: readonly { readonly ref: string; readonly reason: string }[];
  readonly adapter: AdapterFacts;
  readonly measuredAt: string;
  readonly tookMs: number;
  readonly reps: number;
}

export interface CalibrateOptions {
  readonly executor: GpuExecutor;
  readonly adapter: AdapterFacts;
  /** Timed repetitions per input and side (after one warm-up each); default 5. */
  readonly reps?: number;
  /** Sample table; default SAMPLES. */
  readonly samples?: Readonly<Record<string, SampleSpec>>;
  /** Only these stage refs (default: every kernel stage). */
  readonly only?: readonly string[];
  readonly log?: (line: string) => void;
  /** Stops between measurements when aborted. */
  readonly signal?: AbortSignal;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const geomean = (xs: readonly number[]): number => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

/** Times `run` and the kernel on one input; returns the medians and the kernel's agreement with `run`. */
export async function measure(
  executor: GpuExecutor,
  stage: AnyStage,
  spec: SampleSpec,
  input: Value,
  reps: number,
): Promise<{ cpuMs: number; gpuMs: number; kernelMs: number; gpuKernelMs?: number; transferMs: number; disagreement?: string }> {
  // Warm-up: JIT for run; pipeline compile and first-use allocations for the kernel.
  const expected = stage.run(input);
  const first = await executor.runKernel(stage, input);
  const disagreement = spec.compare(input, first.value, expected);
  const cpu: number[] = [];
  const gpu: number[] = [];
  const kernel: number[] = [];
  const gpuKernel: number[] = [];
  const transfer: number[] = [];
  for (let i = 0; i < reps; i++) {
    // Interleaved, so drift in the machine's load hits both sides alike.
    const t0 = performance.now();
    stage.run(input);
    cpu.push(performance.now() - t0);
    const { timings } = await executor.runKernel(stage, input);
    gpu.push(timings.totalMs);
    kernel.push(timings.kernelMs);
    if (timings.gpuKernelMs !== undefined) gpuKernel.push(timings.gpuKernelMs);
    transfer.push(timings.uploadMs + timings.readbackMs);
  }
  return {
    cpuMs: median(cpu),
    gpuMs: median(gpu),
    kernelMs: median(kernel),
    ...(gpuKernel.length > 0 ? { gpuKernelMs: median(gpuKernel) } : {}),
    transferMs: median(transfer),
    ...(disagreement ? { disagreement } : {}),
  };
}

/** Timer resolution floor, so a 0 ms reading cannot make a ratio infinite or zero. */
const FLOOR_MS = 0.001;

export async function calibrate(options: CalibrateOptions): Promise<Calibration> {
  const { executor, adapter } = options;
  const reps = options.reps ?? 5;
  const samples = options.samples ?? SAMPLES;
  const log = options.log ?? ((line: string) => console.error(line));
  const started = performance.now();
  const stages: StageCalibration[] = [];
  const skipped: { ref: string; reason: string }[] = [];
  for (const stage of executor.kernelStages()) {
    if (options.only && !options.only.includes(stage.ref)) continue;
    options.signal?.throwIfAborted();
    const spec = samples[stage.ref];
    if (!spec) {
      skipped.push({ ref: stage.ref, reason: "no sample inputs in gpu-runners/samples.ts" });
      log(`calibrate: ${stage.ref}: no sample inputs (gpu-runners/samples.ts); the scheduler will use speed.simd for it`);
      continue;
    }
    const r = rng(0x5eed);
    const inputs: InputCalibration[] = [];
    let disagreement: string | undefined;
    try {
      for (const size of spec.calibrationSizes) {
        options.signal?.throwIfAborted();
        const input = spec.make(size, r, spec.variants[0]!);
        const m = await measure(executor, stage, spec, input, reps);
        if (m.disagreement && !disagreement) disagreement = `${spec.unit} ${size}: ${m.disagreement}`;
        const cpuMs = Math.max(FLOOR_MS, m.cpuMs);
        const gpuMs = Math.max(FLOOR_MS, m.gpuMs);
        inputs.push({ size, unit: spec.unit, cpuMs, gpuMs, kernelMs: m.kernelMs, transferMs: m.transferMs, ratio: cpuMs / gpuMs });
      }
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const reason = `the kernel failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
      skipped.push({ ref: stage.ref, reason });
      log(`calibrate: ${stage.ref}: ${reason}`);
      continue;
    }
    if (disagreement) log(`calibrate: WARNING ${stage.ref}: the kernel disagrees with run(): ${disagreement}`);
    stages.push({ ref: stage.ref, inputs, factor: geomean(inputs.map((i) => i.ratio)), ...(disagreement ? { disagreement } : {}) });
  }
  const factors = stages.map((s) => s.factor);
  const speed: SpeedProfile = {
    cpu: 1,
    ...(factors.length > 0 ? { simd: median(factors) } : {}),
    stages: Object.fromEntries(stages.map((s) => [s.ref, s.factor])),
  };
  return { speed, stages, skipped, adapter, measuredAt: new Date().toISOString(), tookMs: performance.now() - started, reps };
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(2));

/** The profile as lines for people. */
export function describeCalibration(c: Calibration): string[] {
  const lines = [`speed profile (cpu run time / gpu time incl. transfers; took ${(c.tookMs / 1000).toFixed(1)} s, ${c.reps} reps per input):`];
  for (const s of c.stages) {
    const parts = s.inputs.map((i) => `${i.unit === "n" ? "n=" : ""}${i.size}${i.unit === "elements" ? " el" : ""}: cpu ${fmt(i.cpuMs)} ms / gpu ${fmt(i.gpuMs)} ms = ${fmt(i.ratio)}`);
    lines.push(`  ${s.ref.padEnd(28)} ${fmt(s.factor).padStart(7)}   (${parts.join("; ")})${s.disagreement ? "  DISAGREES WITH run()" : ""}`);
  }
  for (const s of c.skipped) lines.push(`  ${s.ref.padEnd(28)} skipped: ${s.reason}`);
  lines.push(`  simd ${c.speed.simd === undefined ? "(none measured)" : fmt(c.speed.simd)}, cpu ${c.speed.cpu}`);
  if (c.speed.simd !== undefined && c.speed.simd < 1) {
    lines.push(
      `  kernels here are slower than run() on this host's CPU${c.adapter.software ? " (a software adapter)" : ""}: the scheduler will prefer CPU backends for SIMD calls`,
    );
  }
  return lines;
}

/** Validates a speed profile loaded from a file: the SpeedProfile itself, or a saved Calibration. */
export function parseSpeedProfile(json: unknown, where: string): SpeedProfile {
  const raw = (typeof json === "object" && json !== null && "speed" in json ? (json as { speed: unknown }).speed : json) as Record<string, unknown> | null;
  const positive = (v: unknown, field: string): number => {
    if (typeof v !== "number" || !(Number.isFinite(v) && v > 0)) throw new Error(`${where}: ${field} must be a finite number > 0, got ${JSON.stringify(v)}`);
    return v;
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${where}: expected a speed profile { cpu, simd?, stages? }`);
  for (const key of Object.keys(raw)) {
    if (!["cpu", "simd", "stages"].includes(key)) throw new Error(`${where}: unknown field "${key}" (a speed profile has cpu, simd, stages)`);
  }
  const cpu = positive(raw.cpu, "cpu");
  const simd = raw.simd === undefined ? undefined : positive(raw.simd, "simd");
  let stages: Record<string, number> | undefined;
  if (raw.stages !== undefined) {
    if (typeof raw.stages !== "object" || raw.stages === null || Array.isArray(raw.stages)) throw new Error(`${where}: stages must be an object of "name@version": factor`);
    stages = {};
    for (const [ref, v] of Object.entries(raw.stages as Record<string, unknown>)) {
      if (!/^[a-z][a-z0-9-]*(\/[a-z][a-z0-9-]*)*@\d+$/.test(ref)) throw new Error(`${where}: stages: "${ref}" is not a stage ref (name@version)`);
      stages[ref] = positive(v, `stages["${ref}"]`);
    }
  }
  return { cpu, ...(simd !== undefined ? { simd } : {}), ...(stages ? { stages } : {}) };
}
