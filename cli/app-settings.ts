/**
 * What an app tells `paxflow deploy` about itself without flags: the module that exports its
 * registry, and the deployment it replaces. Paths are relative to the app's folder (where
 * package.json and wrangler.toml are, and where `paxflow deploy` runs).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { UsageError } from "../runners/cli-common.ts";
import { httpUrl } from "./options.ts";

/** Where `paxflow init` puts an app's registry, and where deploy looks when not told. */
export const DEFAULT_REGISTRY = "src/stages.ts";

/** The app's package.json names its registry as `"paxflow": { "registry": "..." }`. */
const SETTINGS_KEY = "paxflow";

/**
 * The last deployment `paxflow deploy` made from this app. Committed like a lock: a teammate's
 * deploy, or CI's from a fresh checkout, then checks the same running deployment.
 */
export const DEPLOYMENT_FILE = ".paxflow/deployment.json";

/** Environment variable naming the running deployment's API (as for the client commands). */
export const API_ENV = "PAXFLOW_API";

/** What package.json's "paxflow" holds, for the scaffold to write. */
export const appSettings = (registry: string) => ({ [SETTINGS_KEY]: { registry } });

/** The registry module: the flag, else package.json's setting, else src/stages.ts when it exists. */
export function appRegistry(dir: string, flag: string | undefined): string {
  if (flag !== undefined) return flag;
  const manifest = join(dir, "package.json");
  if (existsSync(manifest)) {
    const settings = (JSON.parse(readFileSync(manifest, "utf8")) as Record<string, unknown>)[SETTINGS_KEY] as { registry?: unknown } | undefined;
    if (typeof settings?.registry === "string") return settings.registry;
  }
  if (existsSync(join(dir, DEFAULT_REGISTRY))) return DEFAULT_REGISTRY;
  throw new UsageError(
    `no registry to check the deploy against: pass --registry <module>, or name it in package.json as "${SETTINGS_KEY}": { "registry": "src/stages.ts" } (the module that exports \`registry\`)`,
  );
}

export interface KnownDeployment {
  readonly url: string;
  /** Where the URL came from, for messages. */
  readonly from: string;
}

/** The running deployment: the flag, else PAXFLOW_API, else the one the last deploy recorded; undefined before the first. */
export function knownDeployment(dir: string, flag: string | undefined): KnownDeployment | undefined {
  if (flag !== undefined) return { url: flag, from: "--api" };
  const env = process.env[API_ENV]?.trim();
  if (env) return { url: checkedUrl(env, API_ENV), from: API_ENV };
  const recorded = recordedUrl(dir);
  // A hand-edited or merged-over file must not silently turn the guard off.
  if (recorded === null) throw new UsageError(`${DEPLOYMENT_FILE} names no "url": fix it, or delete it and pass --api <url> once (the deploy records it again)`);
  return recorded === undefined ? undefined : { url: checkedUrl(recorded, DEPLOYMENT_FILE), from: DEPLOYMENT_FILE };
}

/** The flag's parser, for the URLs that do not come through commander. */
function checkedUrl(raw: string, from: string): string {
  try {
    return httpUrl(raw);
  } catch (error) {
    throw new UsageError(`${from}: ${(error as Error).message}`);
  }
}

/** The URL the last deploy recorded: undefined without the file, null when the file names none. */
function recordedUrl(dir: string): string | undefined | null {
  const file = join(dir, DEPLOYMENT_FILE);
  if (!existsSync(file)) return undefined;
  const url = parseJson<{ url?: unknown }>(readFileSync(file, "utf8"))?.url;
  return typeof url === "string" ? url : null;
}

/**
 * Records `url` as the app's deployment. The file changes only when the URL does, so that a
 * redeploy leaves the committed file as it is. Returns whether it changed.
 */
export function recordDeployment(dir: string, url: string): boolean {
  if (recordedUrl(dir) === url) return false;
  const file = join(dir, DEPLOYMENT_FILE);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ url, recordedAt: new Date().toISOString() }, null, 2)}\n`);
  return true;
}

/**
 * The URLs a `wrangler deploy` reached its Worker at, from the entries wrangler appends to
 * WRANGLER_OUTPUT_FILE_PATH (one JSON object a line; the deploy's has `targets`: workers.dev URLs
 * with their scheme, routes and custom domains as patterns without one, cron schedules). Any
 * http(s) origin counts, not only https: the tests' stand-in for wrangler deploys to a local one.
 */
export function deployedUrls(outputFile: string): string[] {
  if (!existsSync(outputFile)) return [];
  const entries = readFileSync(outputFile, "utf8")
    .split("\n")
    .map((line) => parseJson<{ type?: unknown; targets?: unknown }>(line));
  const deploy = entries.findLast((e) => e?.type === "deploy");
  const targets = Array.isArray(deploy?.targets) ? deploy.targets.filter((t): t is string => typeof t === "string") : [];
  return targets.filter((t) => /^https?:\/\/[^\s/]+\/?$/.test(t));
}

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
