import { Command, Option } from "commander";
import { ConfigError } from "../../core/paxos/index.ts";
import { parseTokens } from "../../workers/auth.ts";
import { DEV_VARS_FILE, type LocalVars, localVars, readDevVars, varFlag } from "../dev-vars.ts";
import type { ClusterView } from "../../client/index.ts";
import { intOption } from "../options.ts";
import { loadRegistry } from "../../runners/cli-common.ts";
import { findJob, jobNames } from "../../core/sdk/registry.ts";
import { ClusterError, LOCAL_TOKEN_NAME, LocalCluster, type RunnerSpec, STAGE_WORKER_OUTPUT, type StageWorkerPlacement, devRunners, readEvents } from "../local-cluster.ts";

interface DevFlags {
  port: number;
  persistTo: string;
  demo: boolean;
  gpu: boolean;
  runners: number;
  var?: Record<string, string>;
  verbose?: boolean;
  stageWorker: StageWorkerPlacement;
  registry: string;
  entry?: string;
}

/** The job the demo submits: a fan-out whose calls are long enough to go to the runners and the stage Worker. */
const DEMO = { job: "monte-carlo/pi", input: { seed0: 1, runs: 6, samplesPerRun: 200_000 } };

const say = (line: string) => console.log(`paxflow dev: ${line}`);

/** wrangler lines worth showing without --verbose: problems and the Worker's own warnings. */
function wranglerFilter(verbose: boolean): (line: string) => string | null {
  let continuing = false;
  return (line) => {
    if (verbose) return line;
    if (line.trim() === "") return null;
    // Stack frames and indented continuations follow the line they belong to.
    if (/^\s/.test(line)) return continuing ? line : null;
    continuing = false;
    if (/^\[wrangler:info\] [A-Z]+ \//.test(line)) return null; // one line per request
    if (/Request\.cf|workers\.cloudflare\.com/.test(line)) return null; // offline: no cf object, harmless
    // A commander refusing while another leads: the API asks the others, runners retry.
    if (/\[paxflow:not-leader\]/.test(line)) return null;
    if (!/error|warn|✘|uncaught/i.test(line) && !/\bpaxflow[: ]/.test(line)) return null;
    continuing = true;
    return line;
  };
}

interface JobEventJson {
  readonly n: number;
  readonly type: string;
  readonly at: number;
  readonly seq?: number;
  readonly attempt?: number;
  readonly node?: string;
  readonly detail?: string;
}

/** One line per event of a job's history, as `paxflow dev` prints it. */
export function formatEvent(event: JobEventJson, startedAt: number): string {
  const at = `+${String(Math.max(0, event.at - startedAt)).padStart(5)} ms`;
  const call = event.seq === undefined ? "" : `call ${event.seq}`;
  let what: string;
  switch (event.type) {
    case "job.accepted":
      what = event.seq === undefined ? "job accepted" : `${call}: ${event.detail ?? "sub-job accepted"}`;
      break;
    case "call.dispatched":
      what = `${call} -> ${event.node} (attempt ${event.attempt}): ${event.detail ?? ""}`;
      break;
    case "call.result":
      // The detail is an error's name and message, or a note on verification (an answer held or
      // settled): the event does not say which, so neither is called a failure here.
      what = `${call} <- ${event.node}: ${event.detail ?? "result"}`;
      break;
    case "call.timeout":
      what = `${call} attempt ${event.attempt} on ${event.node} timed out: ${event.detail ?? ""}`;
      break;
    case "job.finished":
      what = event.seq !== undefined ? `${call}: ${event.detail ?? "sub-job finished"}` : `job finished${event.detail ? `: ${event.detail}` : ""}`;
      break;
    case "job.cancelled":
      what = `job cancelled${event.detail ? `: ${event.detail}` : ""}`;
      break;
    default:
      what = `${event.type}${event.detail ? `: ${event.detail}` : ""}`;
  }
  return `  ${at}  #${String(event.n).padEnd(3)} ${what}`;
}

interface CallJson {
  readonly seq: number;
  readonly target: string;
  readonly status: string;
  readonly node?: string;
  readonly attemptCount: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
}

/** Longest the demo follows its job before `paxflow dev` goes on without it. */
const DEMO_TIMEOUT_MS = 60_000;

/** Submits the demo job, prints its events as they happen, then its result. */
async function demo(cluster: LocalCluster, stop: AbortSignal): Promise<void> {
  let submitted = await cluster.api("/v1/jobs", { method: "POST", body: DEMO });
  // A shard still electing its leader answers 503 for a moment.
  for (let retry = 0; submitted.status >= 500 && retry < 20 && !stop.aborted; retry++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    submitted = await cluster.api("/v1/jobs", { method: "POST", body: DEMO });
  }
  if (submitted.status !== 202) throw new ClusterError(`demo: POST /v1/jobs answered ${submitted.status}: ${submitted.text}`);
  const signal = AbortSignal.any([stop, AbortSignal.timeout(DEMO_TIMEOUT_MS)]);
  const id = (submitted.json as { id: string }).id;
  say(`demo: POST /v1/jobs ${JSON.stringify(DEMO)} -> ${id}; following GET /v1/jobs/${id}/events`);
  let startedAt: number | null = null;
  let end = "";
  const stream = await readEvents(
    `${cluster.url}/v1/jobs/${id}/events`,
    (event) => {
      if (event.event === "end") {
        end = (JSON.parse(event.data) as { status: string }).status;
        return;
      }
      if (event.event === "error") {
        console.log(`  stream error: ${event.data}`);
        return;
      }
      const data = JSON.parse(event.data) as JobEventJson;
      startedAt ??= data.at;
      console.log(formatEvent(data, startedAt));
    },
    signal,
    cluster.auth,
  );
  if (stop.aborted) return;
  if (signal.aborted) {
    say(`demo: job ${id} is still running after ${DEMO_TIMEOUT_MS / 1000} s; follow it with curl -sN -H "$AUTH" ${cluster.url}/v1/jobs/${id}/events`);
    return;
  }
  if (stream.status !== 200) throw new ClusterError(`demo: GET /v1/jobs/${id}/events answered ${stream.status}: ${stream.text}`);
  const job = await cluster.api(`/v1/jobs/${id}`);
  if (job.status !== 200) throw new ClusterError(`demo: GET /v1/jobs/${id} answered ${job.status}: ${job.text}`);
  const view = job.json as { status: string; output?: unknown; error?: { name: string; message: string }; durationMs?: number; calls: CallJson[] };
  const byNode = new Map<string, number>();
  for (const call of view.calls) if (call.node) byNode.set(call.node, (byNode.get(call.node) ?? 0) + 1);
  const where = [...byNode].map(([node, n]) => `${n} on ${node}`).join(", ");
  say(`demo: job ${id} ${view.status || end} in ${view.durationMs ?? "?"} ms (${view.calls.length} calls: ${where})`);
  if (view.output !== undefined) say(`demo: result ${JSON.stringify(view.output)}`);
  if (view.error) say(`demo: error ${view.error.name}: ${view.error.message}`);
}

/** Says so when result verification is off (GET /v1/cluster's warning): a local cluster should not hide it. */
async function warnIfUnverified(cluster: LocalCluster): Promise<void> {
  const answer = await cluster.api("/v1/cluster");
  const warning = answer.status === 200 ? (answer.json as ClusterView).verification.warning : undefined;
  if (warning) say(`warning: ${warning}`);
}

/**
 * What the cluster's secrets are, for the user: where each given one came from and the given
 * tokens' names and scopes, never a value. Throws a ConfigError for API_TOKENS the Worker would refuse.
 */
async function describeSecrets(local: LocalVars): Promise<{ sources: string | null; tokens: string | null }> {
  const sources = Object.entries(local.sources).map(([secret, source]) => `${secret} from ${source}`);
  const given = local.vars.API_TOKENS;
  if (given === undefined) return { sources: sources.length ? sources.join(", ") : null, tokens: null };
  const principals = await parseTokens(given).catch((error: unknown) => {
    throw new ConfigError(`API_TOKENS from ${local.sources.API_TOKENS}: ${error instanceof Error ? error.message : String(error)}`);
  });
  const tokens = [...principals.values()].map((p) => `${p.name} (${[...p.scopes].join("+")})`).join(", ");
  return { sources: sources.join(", "), tokens: `${tokens}; paxflow dev's own requests use one more, ${LOCAL_TOKEN_NAME} (admin), made up for this run` };
}

/** `tokens`: the given tokens' names and scopes (describeSecrets), or null when the cluster uses its local token. */
/** Ready-to-run submissions of the examples' jobs, when the registry has them. */
const EXAMPLE_SUBMITS: Readonly<Record<string, string>> = {
  "monte-carlo/pi": `-H 'Prefer: wait=10' -d '{"job":"monte-carlo/pi","input":{"seed0":1,"runs":4,"samplesPerRun":200000}}'`,
  "word-count": `-d '{"job":"word-count","input":{"text":"the quick brown fox jumps over the lazy dog","chunkChars":12}}'`,
};

/** How to submit the registry's jobs: the examples' as they run, any other job with its input left to fill in. */
function submitLines(u: string, jobNames: readonly string[]): string[] {
  const known = jobNames.filter((name) => name in EXAMPLE_SUBMITS);
  const shown = known.length > 0 ? known : jobNames.slice(0, 1);
  return shown.map((name) => `    curl -s -H "$AUTH" -X POST ${u}/v1/jobs -H 'content-type: application/json' ${EXAMPLE_SUBMITS[name] ?? `-H 'Prefer: wait=10' -d '{"job":"${name}","input":<its input as JSON>}'`}`);
}

function printHelp(cluster: LocalCluster, jobs: number, tokens: string | null, jobNames: readonly string[]): void {
  const u = cluster.url;
  say(`ready: API on ${u}, state in ${cluster.persistTo} (${jobs} job${jobs === 1 ? "" : "s"} kept there)`);
  if (tokens === null) {
    say(`API token (admin scope, this local cluster only): ${cluster.token}`);
    say(`dashboard: ${u}/#token=${encodeURIComponent(cluster.token)}`);
  } else {
    say(`API tokens: ${tokens}`);
    say(`dashboard: ${u}/ (it asks for one of your tokens)`);
  }
  console.log(
    [
      "  try:",
      `    AUTH='Authorization: Bearer ${tokens === null ? cluster.token : "<one of your tokens>"}'`,
      `    curl -s -H "$AUTH" ${u}/v1/cluster`,
      `    curl -s -H "$AUTH" ${u}/v1/nodes`,
      ...submitLines(u, jobNames),
      `    curl -s -H "$AUTH" ${u}/v1/jobs`,
      `    curl -s -H "$AUTH" ${u}/v1/jobs/<id>`,
      `    curl -sN -H "$AUTH" ${u}/v1/jobs/<id>/events`,
      `    curl -s ${u}/v1/openapi.json`,
      "  Ctrl-C stops the runners and workerd.",
    ].join("\n"),
  );
}

async function countJobs(cluster: LocalCluster): Promise<number> {
  let total = 0;
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const answer = await cluster.api(`/v1/jobs?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    if (answer.status !== 200) return total;
    const list = answer.json as { jobs: unknown[]; next?: string };
    total += list.jobs.length;
    if (!list.next) break;
    cursor = list.next;
  }
  return total;
}

async function dev(flags: DevFlags): Promise<void> {
  const show = wranglerFilter(flags.verbose ?? false);
  // Loaded here too, so a wrong --registry is told before anything starts (the runners load it again).
  const registry = await loadRegistry(flags.registry).catch((error: unknown) => {
    console.error(`paxflow dev: error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  });
  // .dev.vars sits beside wrangler.toml, where wrangler dev reads it too.
  const local = localVars({ flags: flags.var ?? {}, env: process.env, file: readDevVars(process.cwd()) });
  const secrets = await describeSecrets(local);
  if (secrets.sources) say(`secrets: ${secrets.sources}`);
  const cluster = new LocalCluster({
    app: { registry: flags.registry, ...(flags.entry === undefined ? {} : { entry: flags.entry }) },
    port: flags.port,
    persistTo: flags.persistTo,
    vars: local.vars,
    stageWorker: flags.stageWorker,
    progress: say,
    output: (source, line) => {
      if (source !== "wrangler" && source !== STAGE_WORKER_OUTPUT) return console.log(`  [${source}] ${line}`);
      const shown = show(line);
      if (shown !== null) console.log(`  [${source}] ${shown}`);
    },
  });
  const aborted = new AbortController();
  let stopping: Promise<void> | null = null;
  const shutdown = (why: string, code: number): Promise<void> => {
    stopping ??= (async () => {
      aborted.abort();
      say(`${why}; stopping runners and workerd`);
      await cluster.stop();
      say("stopped");
      // Every child has exited; nothing is left to wait for.
      process.exit(code);
    })();
    return stopping;
  };
  // Installed first, so Ctrl-C during start-up also stops whatever has started.
  process.on("SIGINT", () => void shutdown("SIGINT", 0));
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));

  try {
    await cluster.startWorkerd();
    if (stopping) return stopping;
    const runners: RunnerSpec[] = devRunners(flags.runners);
    await cluster.startRunners(runners);
    if (stopping) return stopping;
    if (flags.gpu) {
      // Without an adapter (or Mesa's packages) the gpu-runner says what to install; the cluster goes on without it.
      await cluster.startRunners([{ id: "gpu-1", kind: "gpu" }]).catch((error: unknown) => {
        if (!stopping) say(`gpu-runner not started: ${error instanceof Error ? error.message : String(error)}`);
      });
      if (stopping) return stopping;
    }
    for (const wrangler of [cluster.workerd!, cluster.stageWorkerd].filter((p) => p !== null)) {
      wrangler.exited.then((exit) => {
        if (stopping) return;
        console.error(`paxflow dev: error: ${wrangler.name} stopped on its own (${exit.signal ?? `exit code ${exit.code}`}); its last output:\n${wrangler.tail(15, (line) => !/^\[wrangler:info\] [A-Z]+ \//.test(line))}`);
        void shutdown(`${wrangler.name} is gone`, 1);
      });
    }
    for (const runner of cluster.runners.values()) {
      runner.process.exited.then((exit) => {
        if (!stopping) say(`runner ${runner.spec.id} stopped on its own (${exit.signal ?? `exit code ${exit.code}`}); the plane marks it unresponsive`);
      });
    }
    await warnIfUnverified(cluster);
    if (flags.demo && !findJob(registry, DEMO.job)) say(`demo: skipped (the registry has no job ${DEMO.job})`);
    else if (flags.demo) {
      // A demo that fails says why, and the cluster stays up.
      await demo(cluster, aborted.signal).catch((error: unknown) => {
        if (!stopping) say(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
    if (stopping) return stopping;
    printHelp(cluster, await countJobs(cluster), secrets.tokens, jobNames(registry));
  } catch (error) {
    if (stopping) return stopping;
    console.error(`paxflow dev: error: ${error instanceof Error ? error.message : String(error)}`);
    if (!(error instanceof ClusterError) && error instanceof Error && error.stack) console.error(error.stack);
    // Nothing started (the port was taken, say): nothing to stop.
    if (!cluster.workerd && cluster.runners.size === 0) process.exit(1);
    await shutdown("start-up failed", 1);
  }
}

/** The local cluster: the API Worker and every Durable Object in workerd, runners beside it, state on disk. */
export const devCommand = new Command("dev")
  .description("run paxflow locally: workerd (wrangler dev) with state persisted between runs, Node CPU runners, the gpu-runner, and a demo job")
  .requiredOption("--registry <path>", "module exporting your `registry` (createRegistry(...)): the stages the runners serve, the same the Worker entry gives definePaxflow")
  .option("--entry <path>", "the Worker entry (exports definePaxflow's fetch handler and classes); default: wrangler.toml's main")
  .option("--port <n>", "HTTP port of the API", intOption(1, 65535), 8787)
  .option("--persist-to <dir>", "where Durable Object and R2 state is kept between runs", ".wrangler/state")
  .option("--runners <n>", "Node CPU runners to start (alternately fast with 2 slots, and slow with 1 slot)", intOption(0, 16), 2)
  .option("--no-gpu", "do not start the gpu-runner (WebGPU via Dawn; calibrates its kernels for a few seconds at start-up)")
  .option("--no-demo", "do not submit the demo job")
  .option(
    "--var <KEY=VALUE>",
    `a Worker variable, repeatable; wins over the environment and ${DEV_VARS_FILE} (API_TOKENS, RUNNER_KEY: the cluster's secrets)`,
    varFlag,
  )
  .addOption(
    new Option("--stage-worker <where>", "where the stage Worker runs: shared (the API's workerd and thread) or apart (a workerd of its own: for CPU-heavy stages; README, Known limits)")
      .choices(["shared", "apart"])
      .default("shared"),
  )
  .option("--verbose", "show all of wrangler's output (every request)")
  .addHelpText(
    "after",
    [
      "",
      `Secrets: API_TOKENS and RUNNER_KEY come from --var, else the environment, else ${DEV_VARS_FILE}`,
      "beside wrangler.toml (KEY=VALUE lines). Without them the cluster uses a local admin token",
      "(printed) and a local RUNNER_KEY; with them it prints the tokens' names and scopes only.",
      "",
      "Examples:",
      "  npx paxflow dev --registry examples/index.ts",
      "  npx paxflow dev --registry src/stages.ts --entry src/index.ts --port 8788 --runners 3 --no-demo",
      "  npx paxflow dev --registry examples/index.ts --var VERIFY_FRACTION=1 --var API_TOKENS=ci=<24+ chars>=submit+read",
      "  curl -s http://127.0.0.1:8787/v1/cluster",
    ].join("\n"),
  )
  .action((flags: DevFlags) => dev(flags));
