/**
 * The local cluster as processes: the Workers and Durable Objects in workerd (wrangler dev
 * --local, state persisted on disk) and runners as child processes. `npx paxflow dev` and the
 * end-to-end tests (test/e2e) start, wait for and stop it with this same code.
 *
 * Every child runs in its own process group (spawned detached) and is stopped by signalling
 * the whole group: wrangler's node wrapper, its CLI, workerd and esbuild all go together, and
 * nothing is left behind. A process that exits without stopping the cluster (an uncaught
 * error) still kills every group it started on its way out.
 *
 * Runners are described by RunnerSpec and started by the launcher of their kind
 * (RUNNER_LAUNCHERS); the gpu-runner (issue 5) becomes one more kind there.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { type IncomingHttpHeaders, request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { deriveRunnerSecret, newNonce, signRequest } from "../runtime/runner-signature.ts";
import { realTimers, withTimeout } from "../runtime/timers.ts";
import { PACKAGE_ROOT, TSX_LOADER, packageScript, wranglerBin } from "./package-root.ts";
import { FREEZE_INPUTS_SETTING } from "../core/sdk/run-stage.ts";
import { STAGE_PROCESS_ENV } from "../runners/stage-environment.ts";


/** paxflow's own files (package-root.ts): this repository, or node_modules/paxflow in an app. */
export const ROOT = PACKAGE_ROOT;

/**
 * The app's wrangler configuration when none is given: the current directory's (the repository's
 * own when run here, an app's in its folder). Its folder is where wrangler and the runners run.
 */
export function defaultWranglerConfig(dir = process.cwd()): string {
  for (const name of ["wrangler.toml", "wrangler.jsonc", "wrangler.json"]) {
    const path = resolve(dir, name);
    if (existsSync(path)) return path;
  }
  throw new ClusterError(`no wrangler configuration (wrangler.toml, wrangler.jsonc or wrangler.json) in ${dir}: run this in your app's folder (npx paxflow init makes one)`);
}


/** A failure the user can act on (port in use, wrangler failed to start): printed as one message. */
export class ClusterError extends Error {
  override readonly name = "ClusterError";
}

// ---- HTTP ------------------------------------------------------------------------------------

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

export interface HttpOptions {
  readonly method?: string;
  /** A string is sent as is; anything else as JSON. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/**
 * One request on a fresh connection that is closed afterwards (no keep-alive: a pooled socket
 * that workerd closed after a long request would otherwise fail the next request with ECONNRESET).
 */
export function http(url: string, options: HttpOptions = {}): Promise<HttpAnswer> {
  const { method = "GET", body, headers = {}, timeoutMs = 30_000 } = options;
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        agent: false,
        headers: {
          connection: "close",
          ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) }),
          ...headers,
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** One server-sent event. */
export interface SseEvent {
  readonly event: string;
  readonly id?: string;
  readonly data: string;
}

/**
 * Reads a text/event-stream until the server closes it or `signal` aborts; calls `onEvent`
 * for each event. Resolves with the HTTP status; a non-200 answer's body is in `text`.
 */
export function readEvents(
  url: string,
  onEvent: (event: SseEvent) => void,
  signal?: AbortSignal,
  headers: Readonly<Record<string, string>> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(url, { agent: false, headers: { accept: "text/event-stream", connection: "close", ...headers }, signal }, (res) => {
      res.setEncoding("utf8");
      if (res.statusCode !== 200) {
        let text = "";
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolvePromise({ status: res.statusCode ?? 0, text }));
        return;
      }
      let buffer = "";
      let event = { event: "message", data: [] as string[], id: undefined as string | undefined };
      res.on("data", (chunk: string) => {
        buffer += chunk;
        for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
          const line = buffer.slice(0, nl).replace(/\r$/, "");
          buffer = buffer.slice(nl + 1);
          if (line === "") {
            if (event.data.length > 0) onEvent({ event: event.event, data: event.data.join("\n"), ...(event.id === undefined ? {} : { id: event.id }) });
            event = { event: "message", data: [], id: undefined };
            continue;
          }
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") event.event = value;
          else if (field === "data") event.data.push(value);
          else if (field === "id") event.id = value;
        }
      });
      res.on("end", () => resolvePromise({ status: 200, text: "" }));
      res.on("error", (error) => (signal?.aborted ? resolvePromise({ status: 200, text: "" }) : reject(error)));
    });
    req.on("error", (error) => (signal?.aborted ? resolvePromise({ status: 0, text: "" }) : reject(error)));
    req.end();
  });
}

// ---- ports -------------------------------------------------------------------------------------

/** Whether something listens on host:port already (we cannot bind it). */
export function portInUse(port: number, host = "127.0.0.1"): Promise<false | string> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolvePromise(error.code ?? error.message));
    server.listen(port, host, () => server.close(() => resolvePromise(false)));
  });
}

/** A port nothing listens on right now (the OS picks it). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePromise(port));
    });
  });
}

// ---- child processes ------------------------------------------------------------------------

/** Process groups started and not yet seen gone: killed on exit whatever the reason. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const pgid of liveGroups) signalGroup(pgid, "SIGKILL");
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: no process left in the group
  }
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const describeExit = (exit: Exit) => (exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`);

/** A child process in its own process group, with the tail of its output kept for error messages. */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Settles when the group leader exits. */
  readonly exited: Promise<Exit>;
  exit: Exit | null = null;
  private readonly lines: string[] = [];

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    options: { cwd: string; env?: NodeJS.ProcessEnv; onLine?: (line: string, stream: "stdout" | "stderr") => void },
  ) {
    installExitHook();
    this.child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    if (this.child.pid === undefined) {
      this.child.once("error", () => {}); // reported by the throw below
      throw new ClusterError(`cannot start ${name}: ${command} did not spawn`);
    }
    this.pid = this.child.pid;
    liveGroups.add(this.pid);
    for (const stream of ["stdout", "stderr"] as const) {
      let partial = "";
      this.child[stream]!.setEncoding("utf8");
      this.child[stream]!.on("data", (chunk: string) => {
        partial += chunk;
        const parts = partial.split(/\r?\n/);
        partial = parts.pop()!;
        for (const line of parts) this.line(line, stream, options.onLine);
      });
      this.child[stream]!.on("end", () => {
        if (partial) this.line(partial, stream, options.onLine);
        partial = "";
      });
    }
    this.exited = new Promise((resolvePromise) => {
      this.child.once("error", (error) => {
        this.line(`spawn error: ${error.message}`, "stderr", options.onLine);
        this.exit ??= { code: null, signal: null };
        resolvePromise(this.exit);
      });
      this.child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolvePromise(this.exit);
      });
    });
  }

  private line(line: string, stream: "stdout" | "stderr", onLine?: (line: string, stream: "stdout" | "stderr") => void): void {
    // eslint-disable-next-line no-control-regex
    const plain = line.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
    this.lines.push(plain);
    if (this.lines.length > 200) this.lines.shift();
    onLine?.(plain, stream);
  }

  /** The last lines it printed (those `keep` accepts), for an error message. */
  tail(n = 30, keep: (line: string) => boolean = () => true): string {
    return this.lines
      .filter(keep)
      .slice(-n)
      .map((l) => `    ${l}`)
      .join("\n");
  }

  get running(): boolean {
    return this.exit === null;
  }

  /** Signals every process of its group. */
  signal(signal: NodeJS.Signals): void {
    signalGroup(this.pid, signal);
  }

  /**
   * Stops the whole group. SIGKILL goes to every process at once (a crash); any other signal
   * goes to the leader, which shuts its own children down in order (wrangler stops workerd and
   * esbuild). Whatever is left of the group after `graceMs` gets SIGKILL. Resolves once the
   * leader has exited and the group is empty (or only zombies remain).
   */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<Exit> {
    // What outlived its leader (workerd, when wrangler's CLI died) has nobody to shut it down in
    // order, and workerd does not always exit on SIGTERM: it gets a short grace before SIGKILL.
    const orphans = !this.running;
    if (orphans || signal === "SIGKILL") this.signal(signal);
    else {
      try {
        process.kill(this.pid, signal);
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + (orphans ? Math.min(graceMs, 2_000) : graceMs);
    const timer = new AbortController();
    const leaderGone = await Promise.race([
      this.exited.then(() => true),
      sleep(graceMs, false, { signal: timer.signal }).catch(() => false),
    ]);
    timer.abort();
    if (leaderGone) {
      // Members that outlive the leader briefly (workerd finishing its shutdown) get the rest of the grace.
      while (signalGroup(this.pid, 0) && Date.now() < deadline) await sleep(50);
    }
    if (signalGroup(this.pid, 0)) signalGroup(this.pid, "SIGKILL");
    const exit = await this.exited;
    for (let i = 0; i < 40 && signalGroup(this.pid, 0); i++) await sleep(50);
    liveGroups.delete(this.pid);
    return exit;
  }
}

// ---- runners ---------------------------------------------------------------------------------

/** Kinds of runner the local cluster can start. */
export type RunnerKind = "cpu" | "gpu";

export interface RunnerSpec {
  readonly id: string;
  readonly kind: RunnerKind;
  /** Speed relative to the cost models (1 = as declared). */
  readonly speed?: number;
  readonly slots?: number;
  /** Extra time per call, to make a runner slower or a call easy to catch in flight. */
  readonly delayMs?: number;
  readonly latencyMs?: number;
  readonly bandwidthMbps?: number;
  readonly heartbeatMs?: number;
  /** Port to listen on; default: a free one chosen at start. */
  readonly port?: number;
  /** gpu only: a speed profile file to register instead of calibrating at start-up. */
  readonly profile?: string;
  /** The URL the plane posts calls to, when not the runner's own (a proxy in front of it: chaos/slow-link.ts). */
  readonly advertiseUrl?: string;
  /** The API URL the runner talks to, when not the cluster's (a proxy in between). */
  readonly apiUrl?: string;
  /** More flags for the runner's command line. */
  readonly extraArgs?: readonly string[];
}

export interface RunnerLaunch {
  /** paxflow's script, by its source path (package-root.ts packageScript), run with `node --import tsx`. */
  readonly script: string;
  readonly args: readonly string[];
}

/** How each kind of runner is started: the hook a new runner kind plugs into. */
export const RUNNER_LAUNCHERS: Readonly<Record<RunnerKind, (spec: RunnerSpec, apiUrl: string, port: number) => RunnerLaunch>> = {
  cpu: (spec, apiUrl, port) => ({
    script: "runners/cpu-runner.ts",
    args: [
      ...commonRunnerArgs(spec, apiUrl, port),
      ...(spec.speed === undefined ? [] : ["--speed", String(spec.speed)]),
      ...(spec.delayMs === undefined ? [] : ["--delay-ms", String(spec.delayMs)]),
      ...(spec.extraArgs ?? []),
    ],
  }),
  // Calibrates its kernels against their CPU references at start-up (a few seconds), unless a
  // profile file is given.
  gpu: (spec, apiUrl, port) => ({
    script: "gpu-runners/gpu-runner.ts",
    args: [
      ...commonRunnerArgs(spec, apiUrl, port),
      ...(spec.profile === undefined ? ["--reps", "3"] : ["--no-calibrate", "--profile", spec.profile]),
      ...(spec.extraArgs ?? []),
    ],
  }),
};

function commonRunnerArgs(spec: RunnerSpec, apiUrl: string, port: number): string[] {
  return [
    "--api",
    apiUrl,
    "--id",
    spec.id,
    "--port",
    String(port),
    ...(spec.advertiseUrl === undefined ? [] : ["--advertise-url", spec.advertiseUrl]),
    ...(spec.slots === undefined ? [] : ["--slots", String(spec.slots)]),
    ...(spec.latencyMs === undefined ? [] : ["--latency-ms", String(spec.latencyMs)]),
    ...(spec.bandwidthMbps === undefined ? [] : ["--bandwidth-mbps", String(spec.bandwidthMbps)]),
    ...(spec.heartbeatMs === undefined ? [] : ["--heartbeat-ms", String(spec.heartbeatMs)]),
  ];
}

/**
 * The runners `paxflow dev` starts: different on purpose, so placement has something to choose
 * between (a fast two-slot node, and a slow one-slot node that also answers late).
 */
export const DEV_RUNNER_TEMPLATES: readonly Omit<RunnerSpec, "id">[] = [
  { kind: "cpu", speed: 2, slots: 2 },
  { kind: "cpu", speed: 0.5, slots: 1, delayMs: 20 },
];

/** `n` runner specs from the templates, in turn: cpu-1 (fast), cpu-2 (slow), cpu-3 (fast), ... */
export function devRunners(n: number): RunnerSpec[] {
  return Array.from({ length: n }, (_, i) => ({ id: `cpu-${i + 1}`, ...DEV_RUNNER_TEMPLATES[i % DEV_RUNNER_TEMPLATES.length]! }));
}

/** "speed 2, 2 slots, +20 ms per call" */
export function describeRunner(spec: RunnerSpec): string {
  const speed = spec.kind === "gpu" ? (spec.profile ? `profile ${spec.profile}` : "speed calibrated at start-up") : `speed ${spec.speed ?? 1}`;
  const parts = [`${spec.kind}`, speed, `${spec.slots ?? 1} slot${(spec.slots ?? 1) === 1 ? "" : "s"}`];
  if (spec.delayMs) parts.push(`+${spec.delayMs} ms per call`);
  return parts.join(", ");
}

export interface RunnerProcess {
  readonly spec: RunnerSpec;
  /** The URL it listens on and registers with the plane. */
  readonly url: string;
  readonly process: ManagedProcess;
}

/** A node as GET /v1/nodes shows it (the fields this module reads). */
export interface NodeJson {
  readonly spec: { readonly id: string; readonly url?: string; readonly kind: string };
  readonly status: "up" | "unresponsive" | "quarantined";
  readonly quarantine?: { readonly at: number; readonly reason: string; readonly call?: { readonly job: string; readonly seq: number } };
  readonly since: number;
  readonly registeredAt: number;
  readonly load?: { readonly queue: number; readonly inFlight: number; readonly bytesIn: number; readonly bytesOut: number };
  readonly lastHeartbeat?: { readonly at: number; readonly load: { readonly queue: number; readonly inFlight: number; readonly bytesIn: number; readonly bytesOut: number } };
}

// ---- the cluster -----------------------------------------------------------------------------

/**
 * What a local cluster runs: the app's Worker entry (its `definePaxflow({ registry })`,
 * workers/define-paxflow.ts) and the module exporting that registry, which its runners serve.
 * Paths are relative to the current directory (or absolute).
 */
export interface LocalApp {
  /** The Worker entry wrangler dev runs; default: the wrangler configuration's `main`. */
  readonly entry?: string;
  /** The module exporting `registry`: the runners load it (--registry), so it must be the entry's. */
  readonly registry: string;
}

export interface LocalClusterOptions {
  /** HTTP port of the API. */
  readonly port: number;
  /** The app the cluster runs: its Worker entry and its registry. */
  readonly app: LocalApp;
  /** Where workerd keeps Durable Object, R2 and other state between runs. */
  readonly persistTo: string;
  readonly host?: string;
  /** wrangler's DevTools inspector port; default: wrangler's choice (9229, or another when taken). */
  readonly inspectorPort?: number;
  /** The app's wrangler configuration; default: the current directory's (defaultWranglerConfig). */
  readonly config?: string;
  /**
   * Overrides of wrangler.toml [vars] (wrangler dev --var). RUNNER_KEY replaces LOCAL_RUNNER_KEY;
   * API_TOKENS replaces the local token, and the cluster adds an admin token of its own for its
   * requests (made up per run, never printed).
   */
  readonly vars?: Readonly<Record<string, string>>;
  /** The admin client token the cluster accepts and api() sends; default LOCAL_API_TOKEN, or a random one beside vars.API_TOKENS. */
  readonly token?: string;
  /** Progress, one line each ("starting workerd ...", "API ready"). */
  readonly progress?: (line: string) => void;
  /** Every line a child prints, with the child's name ("wrangler", a runner id). */
  readonly output?: (source: string, line: string) => void;
  /** Longest wait for workerd to answer, and for a runner to show up in GET /v1/nodes. */
  readonly readyTimeoutMs?: number;
  /** Where the stage Worker runs (StageWorkerPlacement); default "shared". */
  readonly stageWorker?: StageWorkerPlacement;
}

const errorText = (error: unknown) => {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${code} (${error.message})` : error.message;
};

/**
 * The local cluster's default client token (admin scope). Local only: wrangler.toml has no
 * API_TOKENS, so a deployed Worker accepts no token until one is set (SECURITY.md).
 */
export const LOCAL_API_TOKEN = "paxflow-local-dev-token-not-for-production";

/** The local cluster's RUNNER_KEY: its runners get secrets derived from it (local only, like LOCAL_API_TOKEN). */
export const LOCAL_RUNNER_KEY = "paxflow-local-runner-key-not-for-production";

/** The name of the cluster's own token in API_TOKENS. */
export const LOCAL_TOKEN_NAME = "local";
/** The local cluster's RUNNER_ALLOW: its runners listen on loopback, which a deployment refuses (SECURITY.md). */
export const LOCAL_RUNNER_ALLOW = "127.0.0.0/8,::1,localhost";


/**
 * Where the stage Worker runs locally (LocalClusterOptions.stageWorker). Local workerd runs every
 * isolate of one process on one thread: a stage Worker in the API's process ("shared", the
 * default) computes on the thread of the API, every commander and every acceptor, so CPU-heavy
 * stage code stalls all of them. "apart" runs the app's script twice when its STAGES binding
 * names the app itself (as every paxflow app's does): the stage Worker's process under the app's
 * name, and the API's under `<name>-api`, whose STAGES binding then reaches the other process
 * through wrangler's dev registry (a folder of this cluster's own, so clusters side by side never
 * resolve each other's; other Workers the app binds to in other `wrangler dev` sessions are then
 * not found either). Measured (docs/benchmarks.md): with calls of tens of milliseconds the
 * API stays responsive; with thousands of 2 ms calls each call's trip between the processes
 * costs more than it saves, so it is not the default.
 */
export type StageWorkerPlacement = "shared" | "apart";

export type StageWorkerProcess = { readonly own: true; readonly name: string; readonly apiName: string } | { readonly own: false; readonly why: string };

/** Whether the app's configuration lets the stage Worker run in a process of its own (StageWorkerProcess). */
export async function stageWorkerProcess(config: string): Promise<StageWorkerProcess> {
  const { unstable_readConfig: readConfig } = await import("wrangler");
  const parsed = readConfig({ config }, { hideWarnings: true });
  const services: readonly { readonly binding: string; readonly service: string }[] = parsed.services ?? [];
  const stages = services.find((s) => s.binding === "STAGES");
  if (!parsed.name) return { own: false, why: "the wrangler configuration has no name" };
  if (!stages) return { own: false, why: "the wrangler configuration has no STAGES service binding" };
  if (stages.service !== parsed.name) return { own: false, why: `STAGES names the Worker "${stages.service}", not the app's own "${parsed.name}"` };
  return { own: true, name: parsed.name, apiName: `${parsed.name}-api` };
}

/** The source name LocalClusterOptions.output gives the stage Worker's wrangler lines. */
export const STAGE_WORKER_OUTPUT = "stage-worker";

export class LocalCluster {
  readonly url: string;
  /** The admin token api() sends (the cluster's API_TOKENS has it as LOCAL_TOKEN_NAME). */
  readonly token: string;
  /** The RUNNER_KEY the Worker is given and the runners' secrets derive from. */
  readonly runnerKey: string;
  readonly host: string;
  readonly port: number;
  readonly persistTo: string;
  private readonly options: LocalClusterOptions;
  private wrangler: ManagedProcess | null = null;
  /** The stage Worker's own wrangler dev (StageWorkerProcess), while it runs. */
  private stageWorker: ManagedProcess | null = null;
  private closed = false;
  readonly runners = new Map<string, RunnerProcess>();

  /** A cluster not started yet: call startWorkerd(), then startRunners(). */
  constructor(options: LocalClusterOptions) {
    this.options = options;
    this.host = options.host ?? "127.0.0.1";
    this.port = options.port;
    this.persistTo = resolve(options.persistTo);
    this.url = `http://${this.host}:${this.port}`;
    this.token = options.token ?? (options.vars?.API_TOKENS ? randomBytes(24).toString("base64url") : LOCAL_API_TOKEN);
    this.runnerKey = options.vars?.RUNNER_KEY ?? LOCAL_RUNNER_KEY;
  }

  /** The app's wrangler configuration: the one given, or the current directory's. */
  private get config(): string {
    return resolve(this.options.config ?? defaultWranglerConfig());
  }

  /** API_TOKENS as the Worker gets it: the given tokens, if any, and the cluster's own. */
  private get apiTokens(): string {
    const own = `${LOCAL_TOKEN_NAME}=${this.token}=admin`;
    return this.options.vars?.API_TOKENS ? `${this.options.vars.API_TOKENS},${own}` : own;
  }

  /** The Authorization header of the cluster's token. */
  get auth(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  /** Starts workerd and waits until the API answers; no runners yet (startRunners). */
  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const cluster = new LocalCluster(options);
    await cluster.startWorkerd();
    return cluster;
  }

  private progress(line: string): void {
    this.options.progress?.(line);
  }

  private get readyTimeoutMs(): number {
    return this.options.readyTimeoutMs ?? 90_000;
  }

  /** The wrangler dev process group, while it runs. */
  get workerd(): ManagedProcess | null {
    return this.wrangler;
  }

  /** The stage Worker's own wrangler dev process group (StageWorkerProcess), while it runs; null when it runs in the API's. */
  get stageWorkerd(): ManagedProcess | null {
    return this.stageWorker;
  }

  /** A request to the API (path like "/v1/jobs"), with the cluster's token unless the headers carry another. */
  api(path: string, options: HttpOptions = {}): Promise<HttpAnswer> {
    return http(`${this.url}${path}`, { ...options, headers: { ...this.auth, ...options.headers } });
  }

  /**
   * Signature headers for a request between the plane and runner `runnerId`, either way
   * (runtime/runner-signature.ts), with the secret the cluster's RUNNER_KEY derives for it.
   */
  async runnerSignature(runnerId: string, method: string, path: string, body?: string): Promise<Record<string, string>> {
    const secret = await deriveRunnerSecret(this.runnerKey, runnerId);
    return signRequest({ runnerId, secret, method, url: path, ...(body === undefined ? {} : { body }), now: Date.now(), nonce: newNonce() });
  }

  /** A request to the API signed as runner `runnerId`. */
  async asRunner(runnerId: string, path: string, options: HttpOptions = {}): Promise<HttpAnswer> {
    const body = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    const signed = await this.runnerSignature(runnerId, options.method ?? "GET", path, body);
    return http(`${this.url}${path}`, { ...options, ...(body === undefined ? {} : { body }), headers: { ...signed, ...options.headers } });
  }

  /** wrangler dev --local on our port and persist dir; resolves once GET /v1/cluster answers 200. */
  async startWorkerd(): Promise<void> {
    if (this.closed) throw new ClusterError("the cluster is stopping");
    if (this.wrangler?.running) throw new ClusterError("workerd is already running");
    const busy = await portInUse(this.port, this.host);
    if (busy) {
      throw new ClusterError(
        busy === "EADDRINUSE"
          ? `port ${this.port} on ${this.host} is in use (another paxflow dev or wrangler dev?); stop it or pick another port with --port`
          : `cannot listen on ${this.host}:${this.port}: ${busy}`,
      );
    }
    try {
      mkdirSync(this.persistTo, { recursive: true });
    } catch (error) {
      throw new ClusterError(`cannot use ${this.persistTo} for state: ${errorText(error)}`);
    }
    const split = this.options.stageWorker === "apart" ? await stageWorkerProcess(this.config) : null;
    const devArgs = (port: number, persistTo: string, inspectorPort: number | undefined, name: string | undefined) => [
      wranglerBin(dirname(this.config)),
      "dev",
      ...(this.options.app.entry === undefined ? [] : [resolve(this.options.app.entry)]),
      "--local",
      "--config",
      this.config,
      ...(name === undefined ? [] : ["--name", name]),
      "--ip",
      this.host,
      "--port",
      String(port),
      "--persist-to",
      persistTo,
      "--show-interactive-dev-session=false",
      ...(inspectorPort === undefined ? [] : ["--inspector-port", String(inspectorPort)]),
      // Given as --var, which wins over .dev.vars (read by wrangler itself): the Worker gets exactly these.
      // The freeze mode is on in a dev cluster (core/sdk/run-stage.ts); `--var PAXFLOW_FREEZE_INPUTS:0` turns it off.
      ...Object.entries({ RUNNER_ALLOW: LOCAL_RUNNER_ALLOW, [FREEZE_INPUTS_SETTING]: "1", ...this.options.vars, API_TOKENS: this.apiTokens, RUNNER_KEY: this.runnerKey }).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
    ];
    const env = {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      NO_COLOR: "1",
      FORCE_COLOR: "0",
      // Apart, this cluster's own dev registry: the API finds its stage Worker there, and no other
      // cluster's. Shared, wrangler's usual one, where an app finds the other Workers it runs locally.
      ...(split?.own ? { WRANGLER_REGISTRY_PATH: join(this.persistTo, "dev-registry") } : {}),
    };
    const started = Date.now();
    let stageWorkerReady: Promise<void> = Promise.resolve();
    if (split?.own) {
      const port = await freePort();
      this.progress(`starting the stage Worker in a workerd of its own (its own thread) on port ${port}`);
      let readied = () => {};
      const stageWorker = new ManagedProcess("wrangler dev (stage Worker)", process.execPath, devArgs(port, join(this.persistTo, "stage-worker"), await freePort(), split.name), {
        cwd: dirname(this.config),
        env,
        onLine: (line) => {
          this.options.output?.(STAGE_WORKER_OUTPUT, line);
          if (/\bReady on\b/.test(line)) readied();
        },
      });
      this.stageWorker = stageWorker;
      stageWorkerReady = new Promise<void>((resolvePromise, reject) => {
        readied = resolvePromise;
        void stageWorker.exited.then((exit) => reject(new ClusterError(`the stage Worker's wrangler dev ${describeExit(exit)} before it was ready; its last output:\n${stageWorker.tail()}`)));
      });
      stageWorkerReady.catch(() => {}); // awaited below
    } else if (split) {
      this.progress(`the stage Worker runs in the API's workerd after all: ${split.why}`);
    }
    this.progress(`starting workerd (wrangler dev --local) on ${this.url}, state in ${this.persistTo}`);
    const wrangler = new ManagedProcess("wrangler dev", process.execPath, devArgs(this.port, this.persistTo, this.options.inspectorPort, split?.own ? split.apiName : undefined), {
      cwd: dirname(this.config),
      env,
      onLine: (line) => this.options.output?.("wrangler", line),
    });
    this.wrangler = wrangler;
    try {
      await this.waitForApi(wrangler, started);
      const left = Math.max(1, this.readyTimeoutMs - (Date.now() - started));
      await withTimeout(stageWorkerReady, left, realTimers, () => new ClusterError(`the stage Worker's wrangler dev was not ready within ${this.readyTimeoutMs / 1000} s; its last output:\n${this.stageWorker?.tail() ?? ""}`));
    } catch (error) {
      await this.stopWorkerd("SIGTERM");
      throw error;
    }
    this.progress(`API ready on ${this.url} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  /** Resolves once GET /v1/cluster answers 200; throws when wrangler exits, the wait is over or the cluster is misconfigured. */
  private async waitForApi(wrangler: ManagedProcess, started: number): Promise<void> {
    let lastProblem = "no answer yet";
    for (;;) {
      if (!wrangler.running) {
        throw new ClusterError(`wrangler dev ${describeExit(wrangler.exit!)} before the API answered; its last output:\n${wrangler.tail()}`);
      }
      if (Date.now() - started > this.readyTimeoutMs) {
        throw new ClusterError(
          `the API at ${this.url} did not answer GET /v1/cluster within ${this.readyTimeoutMs / 1000} s (last: ${lastProblem}); wrangler's last output:\n${wrangler.tail()}`,
        );
      }
      try {
        const answer = await this.api("/v1/cluster", { timeoutMs: 10_000 });
        if (answer.status === 200) return;
        lastProblem = `HTTP ${answer.status} ${answer.text.slice(0, 300)}`;
        // A misconfigured cluster will not get better by waiting.
        if (answer.status === 500 && (answer.json as { error?: { code?: string } } | undefined)?.error?.code === "misconfigured") {
          throw new ClusterError(`the API answers 500 misconfigured: ${answer.text}`);
        }
      } catch (error) {
        if (error instanceof ClusterError) throw error;
        lastProblem = errorText(error);
      }
      await sleep(200);
    }
  }

  /**
   * Stops wrangler dev and workerd (the whole process group). SIGTERM lets them shut down;
   * SIGKILL is a crash. Resolves once the port is free again.
   */
  async stopWorkerd(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    const processes = [this.wrangler, this.stageWorker].filter((p): p is ManagedProcess => p !== null);
    this.wrangler = null;
    this.stageWorker = null;
    if (processes.length === 0) return;
    await Promise.all(processes.map((p) => p.stop(signal, 10_000)));
    for (let i = 0; i < 100 && (await portInUse(this.port, this.host)); i++) await sleep(100);
  }

  /** Starts runners and waits until GET /v1/nodes shows each of them up at its URL. */
  async startRunners(specs: readonly RunnerSpec[]): Promise<RunnerProcess[]> {
    if (specs.length === 0) return [];
    this.progress(`starting ${specs.length} runner${specs.length === 1 ? "" : "s"}: ${specs.map((s) => `${s.id} (${describeRunner(s)})`).join("; ")}`);
    const started = await Promise.all(specs.map((spec) => this.spawnRunner(spec)));
    try {
      await this.waitForRunners(started);
    } catch (error) {
      await Promise.all(started.map((r) => this.stopRunner(r.spec.id)));
      throw error;
    }
    this.progress(`runners registered: ${started.map((r) => `${r.spec.id} at ${r.url}`).join(", ")}`);
    return started;
  }

  private async spawnRunner(spec: RunnerSpec): Promise<RunnerProcess> {
    if (this.closed) throw new ClusterError("the cluster is stopping");
    if (this.runners.get(spec.id)?.process.running) throw new ClusterError(`runner ${spec.id} is already running`);
    const port = spec.port ?? (await freePort(this.host));
    if (this.closed) throw new ClusterError("the cluster is stopping");
    const launch = RUNNER_LAUNCHERS[spec.kind](spec, spec.apiUrl ?? this.url, port);
    const args = [...launch.args, "--registry", resolve(this.options.app.registry)];
    const secret = await deriveRunnerSecret(this.runnerKey, spec.id);
    const child = new ManagedProcess(`runner ${spec.id}`, process.execPath, ["--import", TSX_LOADER, packageScript(launch.script), ...args], {
      cwd: dirname(this.config),
      // The freeze mode on unless the environment says otherwise (a dev cluster); UTC and en-US always (runners/stage-environment.ts).
      env: { [FREEZE_INPUTS_SETTING]: "1", ...process.env, ...STAGE_PROCESS_ENV, PAXFLOW_RUNNER_SECRET: secret },
      onLine: (line) => this.options.output?.(spec.id, line),
    });
    const runner: RunnerProcess = { spec, url: spec.advertiseUrl ?? `http://127.0.0.1:${port}`, process: child };
    this.runners.set(spec.id, runner);
    return runner;
  }

  /** Until every runner is in GET /v1/nodes, up, at the URL it listens on now. */
  private async waitForRunners(runners: readonly RunnerProcess[]): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    let last = "no answer yet";
    for (;;) {
      for (const r of runners) {
        if (!r.process.running) {
          throw new ClusterError(`runner ${r.spec.id} ${describeExit(r.process.exit!)} before it registered; its last output:\n${r.process.tail()}`);
        }
      }
      try {
        const nodes = await this.nodes();
        const missing = runners.filter((r) => !nodes.some((n) => n.spec.id === r.spec.id && n.spec.url === r.url && n.status === "up"));
        if (missing.length === 0) return;
        last = `not yet up: ${missing.map((r) => r.spec.id).join(", ")}`;
      } catch (error) {
        last = errorText(error);
      }
      if (Date.now() > deadline) {
        const tails = runners.map((r) => `  ${r.spec.id}:\n${r.process.tail(10)}`).join("\n");
        throw new ClusterError(`runners did not show up in GET /v1/nodes within ${this.readyTimeoutMs / 1000} s (${last}); their output:\n${tails}`);
      }
      await sleep(200);
    }
  }

  /** GET /v1/nodes; throws unless it answers 200. */
  async nodes(): Promise<NodeJson[]> {
    const answer = await this.api("/v1/nodes");
    if (answer.status !== 200) throw new Error(`GET /v1/nodes answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    return (answer.json as { nodes: NodeJson[] }).nodes;
  }

  /** Stops one runner: SIGTERM lets it finish running calls (up to its grace); SIGKILL is a crash. */
  async stopRunner(id: string, signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    const runner = this.runners.get(id);
    if (!runner) return;
    this.runners.delete(id);
    await runner.process.stop(signal, 15_000);
  }

  /** Everything: runners first (they report to the API as they stop), then workerd. */
  async stop(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.runners.keys()].map((id) => this.stopRunner(id)));
    await this.stopWorkerd("SIGTERM");
  }
}
