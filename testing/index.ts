/**
 * `paxflow/testing`: run your jobs from your own tests.
 *
 * - `runLocally(registry, job, input)`: the job's generator and stages in this process, no plane
 *   (the reference answer: what any correct run must give).
 * - `runOnPlane(registry, job, input)`: the real job plane in this process: a commander over
 *   three in-memory Paxos acceptors, the learning scheduler, the stage Worker backend and local
 *   runners answering on later turns of the event loop, every decision a chosen log entry. Use it
 *   to see that a job runs as a replicated, re-dispatched, possibly verified job, and what each
 *   call did, without workerd.
 * - `startLocalCluster({ registry })`: your app on workerd with runners, as `paxflow dev` runs it,
 *   on a free port with throw-away state (./local-cluster.ts); `run(job, input)` submits and
 *   waits. For a cluster you run yourself, `PaxflowClient` from `paxflow/client`.
 */
import type { JobError, JobId, NodeId } from "../core/jobs/decisions.ts";
import { inlinePayload } from "../core/jobs/payload.ts";
import { takenFrom } from "../core/jobs/state.ts";
import type { Viewer } from "../core/jobs/tenancy.ts";
import { type Value, encode } from "../core/codec.ts";
import { type Registry, findJob } from "../core/sdk/registry.ts";
import { retryTransient } from "../runtime/errors.ts";
import { localRunners, memoryShard, workerBackend } from "../runtime/jobs/memory-shard.ts";

export { runLocally, type LocalResult } from "../core/sdk/local.ts";
export { type LocalClusterOptions, type RunningCluster, startLocalCluster } from "./local-cluster.ts";

export interface PlaneOptions {
  /** Local runners registered besides the stage Worker (each with 2 slots); default 2. */
  readonly runners?: number;
  /** Re-run this fraction of calls on a second node and compare (0..1); default 0. */
  readonly verifyFraction?: number;
  /** Give up (and fail the test) after this long; default 60 s. */
  readonly timeoutMs?: number;
}

/** One call of the run: which stage or sub-job, and which node's answer was taken. */
export interface PlaneCall {
  readonly seq: number;
  readonly target: string;
  /** The node whose answer the call took (a stage call), or undefined (a sub-job, or no answer). */
  readonly node: NodeId | undefined;
  readonly attempts: number;
}

export type PlaneResult =
  | { readonly status: "done"; readonly id: JobId; readonly output: Value; readonly calls: readonly PlaneCall[] }
  | { readonly status: "failed" | "cancelled"; readonly id: JobId; readonly error: JobError | undefined; readonly calls: readonly PlaneCall[] };

/** While the in-process shard elects its leader: ask again soon, as often as this. */
const RETRIES = { attempts: 1_000, pauseMs: 5 };
const TESTER: Viewer = { kind: "admin", name: "test" };

/** Thrown when the plane did not end the job in time; says how far it got. */
export class PlaneTimeoutError extends Error {
  override readonly name = "PlaneTimeoutError";
  constructor(
    readonly job: string,
    readonly timeoutMs: number,
    readonly callsSoFar: number,
  ) {
    super(`job ${job} did not end on the in-process plane within ${timeoutMs} ms (${callsSoFar} calls so far)`);
  }
}

/** Runs `job` on `input` on an in-process job plane (see above) and returns how it ended. */
export async function runOnPlane(registry: Registry, job: string, input: Value, options: PlaneOptions = {}): Promise<PlaneResult> {
  if (!findJob(registry, job)) throw new Error(`no job named "${job}" in this registry (it has: ${[...registry.jobs.keys()].join(", ")})`);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const shard = memoryShard({
    registry,
    verify: { fraction: options.verifyFraction ?? 0, newNodeCalls: 0 },
    backends: (payloads, driver) => ({ worker: workerBackend(registry, payloads), ...localRunners(registry, payloads, driver) }),
  });
  try {
    for (let i = 1; i <= (options.runners ?? 2); i++) {
      const spec = { id: `runner-${i}`, kind: "runner", url: `http://127.0.0.1:${9000 + i}`, caps: ["cpu"], speed: { cpu: 1 }, slots: 2, latencyMs: 0.1, bandwidthMBps: 1_000 } as const;
      await retryTransient(() => shard.driver().registerNode(spec, 1), RETRIES);
    }
    const id: JobId = `j-test-${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
    await retryTransient(() => shard.driver().submitJob({ id, name: job, input: inlinePayload(encode(input)), waitMs: 0, submittedBy: TESTER.name }), RETRIES);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      const view = await retryTransient(() => shard.driver().getJob(id, TESTER, Math.max(0, Math.min(left, 10_000))), RETRIES);
      if (!view) throw new Error(`job ${id} vanished from the plane`);
      const calls = view.calls.map((call) => ({ seq: call.seq, target: call.target, node: takenFrom(call), attempts: call.kind === "stage" ? call.attempts.length : 0 }));
      if (view.status === "done") return { status: "done", id, output: view.output === undefined ? null : await shard.payloads.open(view.output), calls };
      if (view.status !== "running") return { status: view.status, id, error: view.error, calls };
      if (left <= 0) throw new PlaneTimeoutError(job, timeoutMs, calls.length);
    }
  } finally {
    shard.close();
  }
}
