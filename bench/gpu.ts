/**
 * GPU benchmark: each SIMD stage's kernel on this machine's WebGPU adapter (the one the
 * gpu-runner would pick, or --backend) against its CPU reference `run`, over a sweep of sizes:
 * 2^10 .. 2^22 elements (step 4×) for the element-wise, reduction, scan and histogram stages,
 * matrices of side 64 .. 1024 for matmul (capped at 512 on a software adapter: the CPU
 * reference alone takes seconds per call at 1024, and so does llvmpipe).
 *
 * Per stage and size, on one seeded input (the stage's first variant, gpu-runners/samples.ts):
 * one untimed warm-up of each side, then `reps` interleaved timed pairs (more, up to 30, while
 * a point has used less than a second), reporting medians:
 *   cpu ms       stage.run(input)
 *   kernel ms    dispatch submitted until done (wall), and the GPU's own timestamp measure when
 *                the device has timestamp-query
 *   xfer ms      upload (buffers created and written) + readback (copy, map, copy out)
 *   gpu ms       everything a call costs on the runner: bind, upload, kernel, readback, read
 *   cpu/gpu      what calibration registers as the speed factor (> 1: the kernel is faster)
 *   cpu/kernel   the same without transfers
 * and whether the kernel agreed with `run` within the stage's tolerance (a wrong answer is
 * reported, never timed silently). Ratios within one run on one machine, as DESIGN.md asks.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, hostname } from "node:os";
import { dirname } from "node:path";
import { table } from "../cli/table.ts";
import { type Value, createRegistry } from "../core/index.ts";
import type { Stage } from "../core/sdk/stage.ts";
import { registry as examples } from "../examples/index.ts";
import { type AdapterFacts, type BackendChoice, Gpu, describeFacts } from "../gpu-runners/device.ts";
import { GpuExecutor } from "../gpu-runners/executor.ts";
import { SAMPLES, type SampleSpec, rng } from "../gpu-runners/samples.ts";
import * as kernels from "../kernels/index.ts";
import { round, summarize } from "./stats.ts";

export interface GpuBenchOptions {
  readonly backend: BackendChoice;
  /** Minimum timed pairs per point. */
  readonly reps: number;
  /** Only these stage refs (default: every kernel stage with sample inputs). */
  readonly stages?: readonly string[];
  /** Largest size to run (elements, or matrix side for matmul); default: each stage's sweep. */
  readonly maxElements?: number;
  readonly out: string;
  readonly log: (line: string) => void;
}

export interface GpuBenchRow {
  readonly stage: string;
  readonly size: number;
  readonly unit: SampleSpec["unit"];
  readonly elements: number;
  readonly variant: string;
  readonly reps: number;
  readonly cpuMs: number;
  readonly cpuP99Ms: number;
  readonly kernelMs: number;
  readonly gpuKernelMs?: number;
  readonly transferMs: number;
  readonly gpuMs: number;
  readonly gpuP99Ms: number;
  readonly cpuOverGpu: number;
  readonly cpuOverKernel: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** undefined when the kernel agreed with run(). */
  readonly disagreement?: string;
}

export interface GpuBenchResults {
  readonly adapter: AdapterFacts;
  readonly machine: { readonly host: string; readonly cpu: string; readonly cores: number; readonly node: string };
  readonly startedAt: string;
  readonly tookMs: number;
  readonly notes: readonly string[];
  readonly rows: readonly GpuBenchRow[];
}

/** Time per point before the benchmark stops adding repetitions beyond `reps`. */
const POINT_BUDGET_MS = 1_000;
const MAX_REPS = 30;

export const defaultGpuOut = () => `bench/results/gpu-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;

export async function benchGpu(options: GpuBenchOptions): Promise<{ results: GpuBenchResults; text: string; out: string }> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const gpu = await Gpu.open({ backend: options.backend, log: options.log });
  try {
    for (const line of describeFacts(gpu.facts)) options.log(line);
    const stages = new Map<string, Stage<Value, Value>>([...examples.stages, ...createRegistry(kernels).stages]);
    const executor = new GpuExecutor({ gpu, stages, log: options.log });
    const notes: string[] = [];
    if (gpu.facts.software) {
      notes.push(
        `software adapter (${gpu.facts.description || gpu.facts.device}): the "GPU" is Mesa running the kernels on this machine's ${availableParallelism()} CPU cores, ` +
          "so these ratios measure Mesa's shader compiler and dispatch against V8, not a GPU; calibration registers them and the scheduler routes SIMD calls to CPU backends where they are below 1",
      );
    }
    if (!gpu.facts.features.includes("timestamp-query")) notes.push("no timestamp-query on this device: kernel ms is the wall time from submit to done");
    const rows: GpuBenchRow[] = [];
    for (const stage of executor.kernelStages()) {
      if (options.stages && !options.stages.includes(stage.ref)) continue;
      const spec = SAMPLES[stage.ref];
      if (!spec) {
        notes.push(`${stage.ref}: no sample inputs in gpu-runners/samples.ts, not measured`);
        continue;
      }
      let sizes = spec.benchSizes.filter((s) => options.maxElements === undefined || spec.elements(s) <= options.maxElements);
      if (gpu.facts.software && spec.softwareBenchMax !== undefined) {
        const capped = sizes.filter((s) => s > spec.softwareBenchMax!);
        if (capped.length > 0) notes.push(`${stage.ref}: ${spec.unit} ${capped.join(", ")} skipped on a software adapter (capped at ${spec.softwareBenchMax}: seconds per call on both sides)`);
        sizes = sizes.filter((s) => s <= spec.softwareBenchMax!);
      }
      for (const size of sizes) {
        const row = await point(executor, stage, spec, size, options.reps);
        rows.push(row);
        options.log(
          `${stage.ref} ${spec.unit} ${size}: cpu ${row.cpuMs.toFixed(3)} ms, gpu ${row.gpuMs.toFixed(3)} ms (kernel ${row.kernelMs.toFixed(3)}, transfers ${row.transferMs.toFixed(3)}), ` +
            `cpu/gpu ${row.cpuOverGpu.toFixed(2)}${row.disagreement ? `, DISAGREES: ${row.disagreement}` : ""}`,
        );
      }
    }
    const results: GpuBenchResults = {
      adapter: gpu.facts,
      machine: { host: hostname(), cpu: cpus()[0]?.model ?? "unknown", cores: availableParallelism(), node: process.version },
      startedAt,
      tookMs: round(performance.now() - started, 0),
      notes,
      rows,
    };
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
    return { results, text: render(results), out: options.out };
  } finally {
    gpu.close();
  }
}

async function point(executor: GpuExecutor, stage: Stage<Value, Value>, spec: SampleSpec, size: number, reps: number): Promise<GpuBenchRow> {
  const variant = spec.variants[0]!;
  const input = spec.make(size, rng(size ^ 0x9e3779b9), variant);
  // Warm-up (JIT, pipeline compile, first allocations), and the check that the answers agree.
  const expected = stage.run(input);
  const first = await executor.runKernel(stage, input);
  const disagreement = spec.compare(input, first.value, expected);
  const cpu: number[] = [];
  const gpu: number[] = [];
  const kernel: number[] = [];
  const gpuKernel: number[] = [];
  const transfer: number[] = [];
  const t0 = performance.now();
  while (cpu.length < reps || (cpu.length < MAX_REPS && performance.now() - t0 < POINT_BUDGET_MS)) {
    const c0 = performance.now();
    stage.run(input);
    cpu.push(performance.now() - c0);
    const { timings } = await executor.runKernel(stage, input);
    gpu.push(timings.totalMs);
    kernel.push(timings.kernelMs);
    if (timings.gpuKernelMs !== undefined) gpuKernel.push(timings.gpuKernelMs);
    transfer.push(timings.uploadMs + timings.readbackMs);
  }
  const c = summarize(cpu);
  const g = summarize(gpu);
  const k = summarize(kernel).p50;
  return {
    stage: stage.ref,
    size,
    unit: spec.unit,
    elements: spec.elements(size),
    variant,
    reps: cpu.length,
    cpuMs: round(c.p50, 4),
    cpuP99Ms: round(c.p99, 4),
    kernelMs: round(k, 4),
    ...(gpuKernel.length > 0 ? { gpuKernelMs: round(summarize(gpuKernel).p50, 4) } : {}),
    transferMs: round(summarize(transfer).p50, 4),
    gpuMs: round(g.p50, 4),
    gpuP99Ms: round(g.p99, 4),
    cpuOverGpu: round(c.p50 / Math.max(g.p50, 1e-4), 3),
    cpuOverKernel: round(c.p50 / Math.max(k, 1e-4), 3),
    bytesUp: first.timings.bytesUp,
    bytesDown: first.timings.bytesDown,
    ...(disagreement ? { disagreement } : {}),
  };
}

const ms = (x: number) => (x >= 100 ? round(x, 0) : x >= 1 ? round(x, 2) : round(x, 3));

function render(r: GpuBenchResults): string {
  const a = r.adapter;
  const head = [
    `adapter: ${a.description || a.device} (backend ${a.backend}, ${a.software ? "SOFTWARE" : "hardware"}${a.vendor ? `, vendor ${a.vendor}` : ""}${a.architecture ? `, ${a.architecture}` : ""})`,
    `machine: ${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}; took ${(r.tookMs / 1000).toFixed(1)} s`,
  ];
  const hasTimestamps = r.rows.some((x) => x.gpuKernelMs !== undefined);
  const headers = ["stage", "size", "cpu ms", "kernel ms", ...(hasTimestamps ? ["gpu-ts ms"] : []), "xfer ms", "gpu ms", "gpu p99", "cpu/gpu", "cpu/kernel", "agrees"];
  const rows = r.rows.map((x) => [
    x.stage,
    x.unit === "n" ? `n=${x.size}` : Number.isInteger(Math.log2(x.size)) ? `2^${Math.log2(x.size)}` : String(x.size),
    ms(x.cpuMs),
    ms(x.kernelMs),
    ...(hasTimestamps ? [x.gpuKernelMs === undefined ? "-" : ms(x.gpuKernelMs)] : []),
    ms(x.transferMs),
    ms(x.gpuMs),
    ms(x.gpuP99Ms),
    x.cpuOverGpu,
    x.cpuOverKernel,
    x.disagreement ? "NO" : "yes",
  ]);
  return [...head, "", table(headers, rows), ...(r.notes.length > 0 ? ["", ...r.notes.map((n) => `note: ${n}`)] : [])].join("\n");
}
