/**
 * `paxflow/testing`'s local cluster: your app on workerd (wrangler dev, the app's own wrangler
 * configuration and Worker entry) with Node CPU runners serving its registry, as `paxflow dev`
 * runs it, but on a free port with its state in a fresh temporary folder, for a test to start,
 * use and stop. Needs wrangler (the app's devDependency) and takes a few seconds to start.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCluster, devRunners, freePort } from "../cli/local-cluster.ts";
import type { Value } from "../core/codec.ts";

export interface LocalClusterOptions {
  /** The module exporting your `registry` (e.g. "src/stages.ts"): the runners serve it. */
  readonly registry: string;
  /** Node CPU runners to start; default 1. */
  readonly runners?: number;
  /** Your wrangler configuration; default the current directory's. */
  readonly config?: string;
}

/** A job as the API answers it once it ended (GET /v1/jobs/:id). */
export interface ClusterJob {
  readonly id: string;
  readonly status: "done" | "failed" | "cancelled";
  readonly output?: Value;
  readonly error?: { readonly name: string; readonly message: string };
  readonly calls: readonly { readonly seq: number; readonly target: string; readonly node?: string }[];
}

export interface RunningCluster {
  /** The API's base URL, e.g. http://127.0.0.1:40123. */
  readonly url: string;
  /** An admin token for it. */
  readonly token: string;
  /** Submits a job and waits for its end. */
  run(job: string, input: Value): Promise<ClusterJob>;
  /** Stops the runners and workerd and removes the state. */
  stop(): Promise<void>;
}

/** What a refused or failed request said, with its status. */
export class ClusterRequestError extends Error {
  override readonly name = "ClusterRequestError";
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`the local cluster answered ${status}: ${body.slice(0, 500)}`);
  }
}

/** Long polls while a job runs: the API answers at its end or after this. */
const WAIT_S = 30;

export async function startLocalCluster(options: LocalClusterOptions): Promise<RunningCluster> {
  const state = mkdtempSync(join(tmpdir(), "paxflow-test-cluster-"));
  const cluster = new LocalCluster({
    port: await freePort(),
    persistTo: state,
    app: { registry: options.registry },
    vars: {},
    ...(options.config === undefined ? {} : { config: options.config }),
  });
  try {
    await cluster.startWorkerd();
    await cluster.startRunners(devRunners(options.runners ?? 1));
  } catch (error) {
    await cluster.stop();
    rmSync(state, { recursive: true, force: true });
    throw error;
  }
  return {
    url: cluster.url,
    token: cluster.token,
    async run(job, input) {
      const submitted = await cluster.api("/v1/jobs", { method: "POST", body: { job, input }, headers: { prefer: `wait=${WAIT_S}` }, timeoutMs: (WAIT_S + 30) * 1_000 });
      if (submitted.status !== 200 && submitted.status !== 202) throw new ClusterRequestError(submitted.status, submitted.text);
      let view = submitted.json as ClusterJob | { status: "running"; id: string };
      while (view.status === "running") {
        const answer = await cluster.api(`/v1/jobs/${encodeURIComponent(view.id)}`, { headers: { prefer: `wait=${WAIT_S}` }, timeoutMs: (WAIT_S + 30) * 1_000 });
        if (answer.status !== 200) throw new ClusterRequestError(answer.status, answer.text);
        view = answer.json as typeof view;
      }
      return view;
    },
    async stop() {
      await cluster.stop();
      rmSync(state, { recursive: true, force: true });
    },
  };
}
