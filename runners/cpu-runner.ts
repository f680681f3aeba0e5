/**
 * The Node CPU runner: runs the stages of a registry module (each stage's `run`, its CPU
 * implementation) for the command plane, over the runner protocol.
 *
 *   node --import tsx runners/cpu-runner.ts --api http://127.0.0.1:8787 [--id cpu-1] [--slots 1]
 *
 * Exit codes: 0 after SIGTERM/SIGINT, 1 when the plane refuses the registration, 2 for a bad
 * flag or registry module.
 */
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { intOption } from "../cli/options.ts";
import type { Registry } from "../core/sdk/registry.ts";
import { startRunner } from "./runner.ts";

interface Flags {
  api: string;
  id: string;
  host: string;
  port: number;
  advertiseUrl?: string;
  slots: number;
  speed: number;
  delayMs: number;
  latencyMs: number;
  bandwidthMbps: number;
  heartbeatMs: number;
  registry: string;
}

/** Input the user can fix: one line on stderr and exit code 2. */
class UsageError extends Error {}

const httpUrl = (raw: string): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidArgumentError(`expected an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new InvalidArgumentError(`expected an http(s) URL, got "${raw}"`);
  return raw;
};

const positiveNumber = (raw: string): number => {
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError(`expected a number > 0, got "${raw}"`);
  return n;
};

const DEFAULT_REGISTRY = fileURLToPath(new URL("../examples/index.ts", import.meta.url));

const program = new Command("cpu-runner")
  .description("run the CPU implementation of a registry's stages for the paxflow command plane")
  .requiredOption("--api <url>", "the plane's API base URL, e.g. http://127.0.0.1:8787", httpUrl)
  .addOption(new Option("--id <id>", "node id to register").default(`cpu-${hostname()}-${process.pid}`, "cpu-<hostname>-<pid>"))
  .option("--host <host>", "address to listen on", "127.0.0.1")
  .option("--port <n>", "port to listen on (0: any free port)", intOption(0, 65_535), 0)
  .option("--advertise-url <url>", "URL the plane should post calls to (default: http://127.0.0.1:<port>)", httpUrl)
  .option("--slots <n>", "calls run at once (stages run on one thread, so more slots overlap only waits)", intOption(1, 1_024), 1)
  .option("--speed <x>", "speed relative to the machine the cost models were written for", positiveNumber, 1)
  .option("--delay-ms <n>", "artificial extra time per call, to emulate a slower node", intOption(0), 0)
  .option("--latency-ms <n>", "declared one-way latency to the plane", intOption(0), 1)
  .option("--bandwidth-mbps <n>", "declared bandwidth to the plane in MB/s", positiveNumber, 1_000)
  .option("--heartbeat-ms <n>", "heartbeat period until the plane names one", intOption(1), 1_000)
  .addOption(new Option("--registry <path>", "module exporting `registry` (createRegistry(...))").default(DEFAULT_REGISTRY, "examples/index.ts"))
  .showHelpAfterError("(add --help for usage)")
  .exitOverride();

async function loadRegistry(path: string): Promise<Registry> {
  const file = resolve(path);
  if (!existsSync(file)) throw new UsageError(`registry module not found: ${path}`);
  let module: { registry?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { registry?: unknown };
  } catch (error) {
    throw new UsageError(`cannot load registry module ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const registry = module.registry as Partial<Registry> | undefined;
  if (!(registry?.stages instanceof Map)) {
    throw new UsageError(`${path} does not export \`registry\` (export const registry = createRegistry(...stage modules))`);
  }
  return registry as Registry;
}

async function main(): Promise<void> {
  const flags = program.parse(process.argv).opts<Flags>();
  const { stages } = await loadRegistry(flags.registry);
  const runner = await startRunner({
    apiUrl: flags.api,
    id: flags.id,
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
    info: { runner: "cpu-runner", host: hostname(), node: process.version },
    hasStage: (ref) => stages.has(ref),
    executor: (ref, input) => stages.get(ref)!.run(input),
  }).catch((error: NodeJS.ErrnoException) => {
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

try {
  await main();
} catch (error) {
  // Commander has already printed its error (or the help, which exits 0).
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  if (!(error instanceof UsageError)) throw error;
  console.error(`error: ${error.message}`);
  process.exit(2);
}
