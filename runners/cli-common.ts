/**
 * What every runner's command line shares (the CPU runner, the gpu-runner): the flags that
 * describe a node to the plane, their parsers, and loading the registry of bundled stages.
 */
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { httpUrl, intOption } from "../cli/options.ts";
import type { Registry } from "../core/sdk/registry.ts";
import { type AuthHeaders, signingHeaders } from "./plane.ts";

/** Input the user can fix: one line on stderr and exit code 2. */
export class UsageError extends Error {}


export const positiveNumber = (raw: string): number => {
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError(`expected a number > 0, got "${raw}"`);
  return n;
};

/** The flags of every runner: where the plane is, who this node is, where it listens, how it is reached. */
export interface CommonRunnerFlags {
  api: string;
  id: string;
  host: string;
  port: number;
  advertiseUrl?: string;
  latencyMs: number;
  bandwidthMbps: number;
  heartbeatMs: number;
  registry: string;
}

/** Adds the common flags; `kind` prefixes the default node id ("cpu-<hostname>-<pid>"). */
export function withCommonRunnerOptions(command: Command, kind: string): Command {
  return command
    .requiredOption("--api <url>", "the plane's API base URL, e.g. http://127.0.0.1:8787", httpUrl)
    .addOption(new Option("--id <id>", "node id to register").default(`${kind}-${hostname()}-${process.pid}`, `${kind}-<hostname>-<pid>`))
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <n>", "port to listen on (0: any free port)", intOption(0, 65_535), 0)
    .option("--advertise-url <url>", "URL the plane should post calls to (default: http://127.0.0.1:<port>)", httpUrl)
    .option("--latency-ms <n>", "declared one-way latency to the plane", intOption(0), 1)
    .option("--bandwidth-mbps <n>", "declared bandwidth to the plane in MB/s", positiveNumber, 1_000)
    .option("--heartbeat-ms <n>", "heartbeat period until the plane names one", intOption(1), 1_000)
    .requiredOption("--registry <path>", "module exporting `registry` (createRegistry(...)): the stages this runner serves, the same as the Worker's (e.g. examples/index.ts in this repository)");
}

/**
 * How a runner signs its requests: with the secret in PAXFLOW_RUNNER_SECRET (an environment
 * variable, not a flag, so it does not show in `ps`), derived for its id from the plane's
 * RUNNER_KEY (`npx paxflow runner-secret <id>`). Without it the runner's requests go unsigned
 * and a plane with RUNNER_KEY refuses them (401, which the runner prints). With it, the runner
 * also takes calls only from the plane (signed for it with the same secret).
 */
export function runnerAuth(id: string, env: NodeJS.ProcessEnv = process.env): { authHeaders?: AuthHeaders; secret?: string } {
  const secret = env.PAXFLOW_RUNNER_SECRET?.trim();
  return secret ? { authHeaders: signingHeaders(id, secret), secret } : {};
}

/** The registry a runner serves: only stages bundled with it ever run. */
export async function loadRegistry(path: string): Promise<Registry> {
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

/**
 * Runs a runner's main with the exit codes every runner documents: 2 for a bad flag or a
 * UsageError (one line on stderr), 0 for --help; anything else is a bug and propagates.
 */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    // Commander has already printed its error (or the help, which exits 0).
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    if (!(error instanceof UsageError)) throw error;
    console.error(`error: ${error.message}`);
    process.exit(2);
  }
}
