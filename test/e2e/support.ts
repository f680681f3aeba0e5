/**
 * What the end-to-end tests share: a local cluster per test file (workerd through wrangler dev,
 * on a free port with a fresh state directory, started by the same code as `paxflow dev`), an
 * HTTP client without keep-alive, and polling with a deadline that says what it waited for.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, onTestFailed } from "vitest";
import type { Value } from "../../core/codec.ts";
import { runLocally } from "../../core/sdk/local.ts";
import { TEST_APP } from "../shared/local-app.ts";
import { registry } from "../shared/registry.ts";
import { type HttpAnswer, LocalCluster, type LocalClusterOptions, type NodeJson, type SseEvent, freePort, http, readEvents } from "../../cli/local-cluster.ts";

export interface ClusterHandle {
  /** The running cluster (set in beforeAll). */
  readonly cluster: LocalCluster;
  /** Everything the cluster's processes printed, newest last. */
  readonly log: string[];
}

/**
 * Starts a local cluster before the file's tests and stops it after them. On a failed test
 * the last lines the cluster printed are shown with the failure.
 */
export function useLocalCluster(options: Partial<Pick<LocalClusterOptions, "vars" | "stageWorker">> = {}): ClusterHandle {
  const log: string[] = [];
  let cluster: LocalCluster | undefined;
  let dir: string | undefined;
  const handle = {
    get cluster(): LocalCluster {
      if (!cluster) throw new Error("the local cluster is not running (did beforeAll fail?)");
      return cluster;
    },
    log,
  };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "paxflow-e2e-"));
    const record = (line: string) => {
      log.push(line);
      if (log.length > 2_000) log.splice(0, log.length - 2_000);
    };
    cluster = new LocalCluster({
      app: TEST_APP,
      port: await freePort(),
      inspectorPort: await freePort(),
      persistTo: join(dir, "state"),
      vars: options.vars ?? {},
      ...(options.stageWorker === undefined ? {} : { stageWorker: options.stageWorker }),
      progress: (line) => record(`[cluster] ${line}`),
      output: (source, line) => record(`[${source}] ${line}`),
    });
    await cluster.startWorkerd();
  });
  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return handle;
}

/** Call at the start of a test: prints the cluster's recent output if the test fails. */
export function showLogOnFailure(handle: ClusterHandle, lines = 80): void {
  onTestFailed(() => {
    console.error(`--- last ${lines} lines of the local cluster's output ---\n${handle.log.slice(-lines).join("\n")}`);
  });
}

/**
 * Polls `probe` until it returns something other than undefined, or fails after `timeoutMs`
 * naming `what` and the last thing seen. Errors thrown by `probe` (a cluster restarting) count
 * as "not yet".
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = "nothing yet";
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = "not yet";
    } catch (error) {
      last = error instanceof Error ? error.message : error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last: ${typeof last === "string" ? last : JSON.stringify(last)}`);
    await sleep(intervalMs);
  }
}

// ---- jobs over HTTP --------------------------------------------------------------------------

export interface AttemptJson {
  readonly attempt: number;
  readonly node: string;
  readonly dispatchedAt: number;
  readonly reason: string;
  readonly alternatives: readonly { readonly node: string; readonly finishAt: number }[];
  readonly timedOutAt?: number;
  readonly ending?: "silent" | "refused" | "orphaned" | "unrecorded";
}

export interface CallJson {
  readonly seq: number;
  readonly kind: "stage" | "job";
  readonly target: string;
  readonly status: "queued" | "running" | "done" | "failed";
  readonly node?: string;
  readonly attemptCount: number;
  readonly attempts: readonly AttemptJson[];
  readonly error?: { readonly name: string; readonly message: string };
  readonly child?: string;
  readonly verify?: string;
  readonly verified: false | { readonly by: readonly string[]; readonly dissenters?: readonly string[] };
}

export interface JobJson {
  readonly id: string;
  readonly name: string;
  readonly status: "running" | "done" | "failed" | "cancelled";
  readonly shard: number;
  readonly output?: unknown;
  readonly error?: { readonly kind: string; readonly name: string; readonly message: string };
  readonly calls: readonly CallJson[];
}

export interface JobEventJson {
  readonly n: number;
  readonly type: string;
  readonly at: number;
  readonly seq?: number;
  readonly attempt?: number;
  readonly node?: string;
  readonly detail?: string;
}

const describe = (answer: HttpAnswer) => `HTTP ${answer.status}: ${answer.text.slice(0, 500)}`;

/** POST /v1/jobs; returns the job id. */
export async function submit(cluster: LocalCluster, job: string, input: unknown): Promise<string> {
  // 503 is the API's "retry": right after a restart the shard's commanders may still be electing.
  let answer = await cluster.api("/v1/jobs", { method: "POST", body: { job, input } });
  for (let retry = 0; answer.status === 503 && retry < 40; retry++) {
    await sleep(250);
    answer = await cluster.api("/v1/jobs", { method: "POST", body: { job, input } });
  }
  if (answer.status !== 202) throw new Error(`POST /v1/jobs ${job} answered ${describe(answer)}`);
  return (answer.json as { id: string }).id;
}

/** GET /v1/jobs/:id; throws on anything but 200. */
export async function getJob(cluster: LocalCluster, id: string, waitS?: number): Promise<JobJson> {
  const answer = await cluster.api(`/v1/jobs/${id}`, waitS === undefined ? {} : { headers: { prefer: `wait=${waitS}` }, timeoutMs: (waitS + 30) * 1_000 });
  if (answer.status !== 200) throw new Error(`GET /v1/jobs/${id} answered ${describe(answer)}`);
  return answer.json as JobJson;
}

/** Waits until the job is no longer running (through restarts: errors are retried until the deadline). */
export function finished(cluster: LocalCluster, id: string, timeoutMs = 120_000): Promise<JobJson> {
  return eventually(
    `job ${id} to finish`,
    async () => {
      const job = await getJob(cluster, id, 10);
      return job.status === "running" ? undefined : job;
    },
    timeoutMs,
    200,
  );
}

/** The job's whole history from GET /v1/jobs/:id/events (the job must have finished). */
export async function jobEvents(cluster: LocalCluster, id: string): Promise<{ events: JobEventJson[]; end: string | undefined }> {
  const events: JobEventJson[] = [];
  let end: string | undefined;
  const all: SseEvent[] = [];
  const stream = await readEvents(`${cluster.url}/v1/jobs/${id}/events`, (event) => {
    all.push(event);
    if (event.event === "end") end = (JSON.parse(event.data) as { status: string }).status;
    else if (event.event !== "error") events.push(JSON.parse(event.data) as JobEventJson);
  }, undefined, cluster.auth);
  if (stream.status !== 200) throw new Error(`GET /v1/jobs/${id}/events answered HTTP ${stream.status}: ${stream.text}`);
  return { events, end };
}

/** What runLocally gives for the job, as JSON (the API's outputs are JSON). */
export function expectedOutput(job: string, input: Value): unknown {
  const local = runLocally(registry, job, input);
  if (local.status !== "done") throw new Error(`runLocally(${job}) failed: ${JSON.stringify(local.error)}`);
  return JSON.parse(JSON.stringify(local.output)) as unknown;
}

export function expectedFailure(job: string, input: Value): { name: string; message: string } {
  const local = runLocally(registry, job, input);
  if (local.status !== "failed") throw new Error(`runLocally(${job}) did not fail: ${JSON.stringify(local.output)}`);
  return { name: local.error.name, message: local.error.message };
}

/** GET {runner}/v1/status: its queue and calls in flight (signed as the plane signs it: the runner takes only the plane's). */
export async function runnerStatus(cluster: LocalCluster, id: string): Promise<{ queue: number; inFlight: number }> {
  const runner = cluster.runners.get(id);
  if (!runner) throw new Error(`no runner ${id} is running`);
  const headers = await cluster.runnerSignature(id, "GET", "/v1/status");
  const answer = await http(`${runner.url}/v1/status`, { timeoutMs: 5_000, headers });
  if (answer.status !== 200) throw new Error(`GET ${runner.url}/v1/status answered ${describe(answer)}`);
  return answer.json as { queue: number; inFlight: number };
}

/** A node as GET /v1/nodes shows it, or undefined when it is not registered. */
export async function nodeView(cluster: LocalCluster, id: string): Promise<NodeJson | undefined> {
  return (await cluster.nodes()).find((n) => n.spec.id === id);
}

/** Waits until the job's first call has an attempt on `runner`, and the runner holds it (queued or running). */
export async function inFlightOn(cluster: LocalCluster, jobId: string, runner: string, seq = 0): Promise<void> {
  await eventually(`job ${jobId}'s call ${seq} to be dispatched to ${runner}`, async () => {
    const job = await getJob(cluster, jobId);
    const attempt = job.calls[seq]?.attempts[0];
    if (attempt && attempt.node !== runner) throw new Error(`call ${seq} went to ${attempt.node}, not ${runner}: ${attempt.reason}`);
    return attempt ? true : undefined;
  });
  await eventually(`runner ${runner} to hold the call`, async () => {
    const status = await runnerStatus(cluster, runner);
    return status.inFlight + status.queue > 0 ? true : undefined;
  });
}
