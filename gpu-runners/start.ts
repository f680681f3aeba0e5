/**
 * The gpu-runner as a library: the runner protocol from runners/runner.ts (startRunner) with
 * an executor that runs SIMD stages' kernels on a WebGPU device. The CLI is gpu-runner.ts.
 *
 * What it advertises:
 *   caps   "gpu", "simd", plus "f16" when the device has shader-f16 and "subgroups" when it
 *          has subgroups. Not "cpu": plain stages are for CPU backends.
 *   stages a bundled stage whose caps it has all of: its kernel on the device, or, for a
 *          SIMD/GPU-tagged stage without a kernel, its `run` on this host. Nothing else.
 *   speed  the calibration's profile (calibrate.ts), or one loaded from a file.
 *   info   the adapter (backend, vendor, architecture, device, description, software) and its
 *          key limits, as strings.
 *   load   heartbeats and GET /v1/status add recentComputeMs and recentTransferMs: means over
 *          the last 64 kernel calls of the dispatch and of upload + readback.
 */
import { hostname } from "node:os";
import type { Value } from "../core/codec.ts";
import type { SpeedProfile } from "../core/jobs/decisions.ts";
import type { RunnerStatus } from "../core/jobs/protocol.ts";
import type { Cap } from "../core/sdk/caps.ts";
import type { Stage } from "../core/sdk/stage.ts";
import { type Runner, type RunnerOptions, startRunner } from "../runners/runner.ts";
import type { AdapterFacts, DeviceHealth, Gpu } from "./device.ts";
import { GpuExecutor, type GpuStats } from "./executor.ts";

type AnyStage = Stage<Value, Value>;

/** The capability tags a device earns. */
export function capsOf(facts: AdapterFacts): Cap[] {
  const caps: Cap[] = ["gpu", "simd"];
  if (facts.features.includes("shader-f16")) caps.push("f16");
  if (facts.features.includes("subgroups")) caps.push("subgroups");
  return caps;
}

/** The registration's `info`: strings for people, never used for placement. */
export function infoOf(facts: AdapterFacts, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    runner: "gpu-runner",
    host: hostname(),
    node: process.version,
    backend: facts.backend,
    vendor: facts.vendor,
    architecture: facts.architecture,
    device: facts.device,
    description: facts.description,
    software: String(facts.software),
    features: facts.features.join(","),
    ...Object.fromEntries(Object.entries(facts.limits).map(([k, v]) => [k, String(v)])),
    ...extra,
  };
}

export interface GpuRunnerOptions extends Omit<RunnerOptions, "caps" | "executor" | "hasStage" | "speed"> {
  readonly gpu: Gpu;
  /** The bundled stages (a registry's `stages`). */
  readonly stages: ReadonlyMap<string, AnyStage>;
  /** The speed profile to register (calibrate() or a loaded file). */
  readonly speed: SpeedProfile;
  /** An executor to share (calibration made one already); default a new one. */
  readonly executor?: GpuExecutor;
}

export interface GpuRunnerStatus extends RunnerStatus {
  readonly gpu: GpuStats & DeviceHealth & { readonly backend: string; readonly adapter: string; readonly software: boolean };
}

export interface GpuRunner extends Runner {
  readonly caps: readonly Cap[];
  readonly executor: GpuExecutor;
  /** RunnerStatus plus the GPU's recent kernel and transfer times and device health. */
  gpuStatus(): GpuRunnerStatus;
}

export async function startGpuRunner(options: GpuRunnerOptions): Promise<GpuRunner> {
  const { gpu, stages, executor: shared, info, ...rest } = options;
  const caps = capsOf(gpu.facts);
  const log = options.log ?? ((line: string) => console.error(line));
  const executor = shared ?? new GpuExecutor({ gpu, stages, log });
  const runs = (ref: string) => {
    const stage = stages.get(ref);
    return stage !== undefined && stage.caps.every((c) => caps.includes(c));
  };
  const runner = await startRunner({
    ...rest,
    caps,
    speed: options.speed,
    info: infoOf(gpu.facts, info),
    hasStage: runs,
    executor: (ref, input) => executor.execute(ref, input),
    // Heartbeats and GET /v1/status carry the recent kernel and transfer times.
    extraLoad: () => executor.recentLoad(),
  });
  return {
    ...runner,
    caps,
    executor,
    gpuStatus: () => ({
      ...runner.status(),
      gpu: {
        backend: gpu.facts.backend,
        adapter: gpu.facts.description || gpu.facts.device,
        software: gpu.facts.software,
        ...gpu.health(),
        ...executor.stats(),
      },
    }),
  };
}
