/**
 * The Node CPU runner: runs the stages of a registry module (each stage's `run`, its CPU
 * implementation) for the command plane, over the runner protocol.
 *
 *   node --import tsx runners/cpu-runner.ts --registry examples/index.ts --api http://127.0.0.1:8787 [--id cpu-1] [--slots 1]
 *
 * Exit codes: 0 after SIGTERM/SIGINT, 1 when the plane refuses the registration, 2 for a bad
 * flag or registry module.
 */
import { hostname } from "node:os";
import { digestOf } from "../core/sdk/registry.ts";
import { UsageError, loadRegistry, runCli, runnerAuth } from "./cli-common.ts";
import { type CpuRunnerFlags, cpuRunnerCommand } from "./cpu-runner-options.ts";
import { startRunner } from "./runner.ts";
import { StageLocaleError, freezeInputsFromEnv } from "./stage-environment.ts";
import { runStage } from "../core/sdk/run-stage.ts";

const program = cpuRunnerCommand().showHelpAfterError("(add --help for usage)").exitOverride();

async function main(): Promise<void> {
  const flags = program.parse(process.argv).opts<CpuRunnerFlags>();
  const registry = await loadRegistry(flags.registry);
  const { stages } = registry;
  const freezeInput = freezeInputsFromEnv();
  const runner = await startRunner({
    apiUrl: flags.api,
    id: flags.id,
    ...runnerAuth(flags.id),
    host: flags.host,
    port: flags.port,
    ...(flags.advertiseUrl ? { advertiseUrl: flags.advertiseUrl } : {}),
    // Plain stages, and SIMD stages through their CPU reference.
    caps: ["cpu", "simd"],
    speed: { cpu: flags.speed },
    slots: flags.slots,
    latencyMs: flags.latencyMs,
    bandwidthMBps: flags.bandwidthMbps,
    heartbeatMs: flags.heartbeatMs,
    delayMs: flags.delayMs,
    ...(flags.misbehave ? { misbehave: flags.misbehave } : {}),
    info: { runner: "cpu-runner", host: hostname(), node: process.version },
    hasStage: (ref) => stages.has(ref),
    digestOf: (ref) => digestOf(registry, "stage", ref),
    executor: (ref, input) => runStage(stages.get(ref)!, input, { freezeInput }),
  }).catch((error: NodeJS.ErrnoException) => {
    if (error instanceof StageLocaleError) throw new UsageError(error.message);
    if (error.code === "EADDRINUSE" || error.code === "EACCES" || error.code === "EADDRNOTAVAIL") {
      throw new UsageError(`cannot listen on ${flags.host}:${flags.port}: ${error.code}`);
    }
    throw error;
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`cpu-runner ${flags.id}: ${signal}, stopping`);
    void runner.stop().then(() => process.exit(0));
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
  try {
    await runner.registered;
  } catch (error) {
    if (stopping) return;
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    await runner.stop();
    process.exit(1);
  }
  console.log(`cpu-runner ${flags.id} listening on ${runner.url}, registered with ${flags.api}`);
}

await runCli(main);
