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
import { type Job, PaxflowClient } from "../client/index.ts";
import type { Value } from "../core/codec.ts";

export interface LocalClusterOptions {
  /** The module exporting your `registry` (e.g. "src/stages.ts"): the runners serve it. */
  readonly registry: string;
  /** Node CPU runners to start; default 1. */
  readonly runners?: number;
  /** Your wrangler configuration; default the current directory's. */
  readonly config?: string;
}

export interface RunningCluster {
  /** The API's base URL, e.g. http://127.0.0.1:40123. */
  readonly url: string;
  /** An admin token for it. */
  readonly token: string;
  /** Submits a job and waits for its end (a failure to submit throws the client's PaxflowApiError). */
  run(job: string, input: Value): Promise<Job>;
  /** Stops the runners and workerd and removes the state. */
  stop(): Promise<void>;
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
  const client = new PaxflowClient({ url: cluster.url, token: cluster.token });
  return {
    url: cluster.url,
    token: cluster.token,
    async run(job, input) {
      const submitted = await client.submit(job, input, { waitS: WAIT_S });
      // A 202 (still running after the wait) carries only the id: the job comes from GET.
      let view = "created" in submitted ? await client.job(submitted.id, { waitS: WAIT_S }) : submitted;
      while (view.status === "running") view = await client.job(view.id, { waitS: WAIT_S });
      return view;
    },
    async stop() {
      await cluster.stop();
      rmSync(state, { recursive: true, force: true });
    },
  };
}
