/**
 * The gpu-runner: runs the SIMD stages of a registry module on a WebGPU device (Dawn) for the
 * command plane, over the runner protocol.
 *
 *   node --import tsx gpu-runners/gpu-runner.ts --registry examples/index.ts --api http://127.0.0.1:8787 [--backend auto] [--slots 1]
 *   npm run gpu-runner -- --api http://127.0.0.1:8787
 *
 * Start-up: open the best adapter (printed), calibrate the kernels against their CPU reference
 * (the speed profile, printed; or --profile FILE with --no-calibrate), register, heartbeat.
 * Exit codes: 0 after SIGTERM/SIGINT (the device destroyed first), 1 when the plane refuses the
 * registration or no WebGPU adapter exists, 2 for a bad flag, registry module or profile file.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { UsageError, loadRegistry, runCli, runnerAuth } from "../runners/cli-common.ts";
import type { SpeedProfile } from "../core/jobs/decisions.ts";
import { digestOf } from "../core/sdk/registry.ts";
import { calibrate, describeCalibration, parseSpeedProfile } from "./calibrate.ts";
import { Gpu, NoAdapterError, describeFacts } from "./device.ts";
import { GpuExecutor } from "./executor.ts";
import { type GpuRunnerFlags, gpuRunnerCommand } from "./gpu-runner-options.ts";
import { type GpuRunner, capsOf, startGpuRunner } from "./start.ts";
import { StageLocaleError } from "../runners/stage-environment.ts";

const program = gpuRunnerCommand().showHelpAfterError("(add --help for usage)").exitOverride();

function loadProfile(path: string): SpeedProfile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read the speed profile ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return parseSpeedProfile(JSON.parse(text), path);
  } catch (error) {
    throw new UsageError(error instanceof SyntaxError ? `${path} is not JSON: ${error.message}` : (error as Error).message);
  }
}

async function main(): Promise<void> {
  const flags = program.parse(process.argv).opts<GpuRunnerFlags>();
  if (!flags.calibrate && !flags.profile) {
    throw new UsageError("--no-calibrate needs --profile FILE: without a measured profile the scheduler would guess this runner's speed");
  }
  const profile = flags.profile ? loadProfile(flags.profile) : undefined;
  const registry = await loadRegistry(flags.registry);
  const { stages } = registry;
  const say = (line: string) => console.error(`gpu-runner ${flags.id}: ${line}`);

  // From here on a signal stops whatever is under way: the device is destroyed, then exit 0.
  let gpu: Gpu | undefined;
  let runner: GpuRunner | undefined;
  let stopping = false;
  const aborted = new AbortController();
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    aborted.abort();
    say(`${signal}, stopping`);
    void (async () => {
      try {
        await runner?.stop();
      } finally {
        gpu?.close();
        process.exit(0);
      }
    })();
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));

  try {
    gpu = await Gpu.open({ backend: flags.backend, log: say });
  } catch (error) {
    if (stopping) return;
    if (!(error instanceof NoAdapterError)) throw error;
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
  if (stopping) return;
  for (const line of describeFacts(gpu.facts)) console.log(line);
  console.log(`caps: ${capsOf(gpu.facts).join(", ")}`);

  const executor = new GpuExecutor({ gpu, stages, log: say });
  let speed: SpeedProfile;
  if (profile) {
    speed = profile;
    console.log(`speed profile from ${flags.profile}: ${JSON.stringify(speed)}`);
  } else {
    const kernels = executor.kernelStages().length;
    console.log(`calibrating ${kernels} kernel stage(s) against their CPU reference...`);
    let calibration;
    try {
      calibration = await calibrate({ executor, adapter: gpu.facts, reps: flags.reps, log: say, signal: aborted.signal });
    } catch (error) {
      if (stopping) return;
      throw error;
    }
    for (const line of describeCalibration(calibration)) console.log(line);
    speed = calibration.speed;
    if (flags.saveProfile) {
      writeFileSync(flags.saveProfile, `${JSON.stringify(calibration, null, 2)}\n`);
      console.log(`calibration written to ${flags.saveProfile} (reuse it with --no-calibrate --profile ${flags.saveProfile})`);
    }
  }
  if (stopping) return;

  runner = await startGpuRunner({
    apiUrl: flags.api,
    id: flags.id,
    ...runnerAuth(flags.id),
    host: flags.host,
    port: flags.port,
    ...(flags.advertiseUrl ? { advertiseUrl: flags.advertiseUrl } : {}),
    gpu,
    stages,
    digestOf: (ref) => digestOf(registry, "stage", ref),
    executor,
    speed,
    slots: flags.slots,
    latencyMs: flags.latencyMs,
    bandwidthMBps: flags.bandwidthMbps,
    heartbeatMs: flags.heartbeatMs,
    info: {
      speedProfile: profile ? `file ${flags.profile}` : "calibrated at start-up",
      adapter: `${gpu.facts.backend}: ${gpu.facts.description || gpu.facts.device || "unnamed"}${gpu.facts.software ? " (software)" : ""}`,
    },
    log: (line) => console.error(line),
  }).catch((error: NodeJS.ErrnoException) => {
    if (error instanceof StageLocaleError) throw new UsageError(error.message);
    if (error.code === "EADDRINUSE" || error.code === "EACCES" || error.code === "EADDRNOTAVAIL") {
      throw new UsageError(`cannot listen on ${flags.host}:${flags.port}: ${error.code}`);
    }
    throw error;
  });
  if (stopping) {
    await runner.stop();
    return;
  }
  say(`listening on ${runner.url}; registering with ${flags.api}`);
  try {
    await runner.registered;
  } catch (error) {
    if (stopping) return;
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    await runner.stop();
    gpu.close();
    process.exit(1);
  }
  console.log(`gpu-runner ${flags.id} listening on ${runner.url}, registered with ${flags.api}`);
}

await runCli(main);
