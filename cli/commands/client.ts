/**
 * The commands that talk to a running paxflow API through the typed client (client/index.ts):
 * submit (with a live view of the calls), status, jobs, nodes, cluster, explain, cancel. Each
 * takes --api (or PAXFLOW_API) and a token from PAXFLOW_TOKEN (the local cluster's own token
 * when the API is on this machine), and --json to print the API's answer as it is.
 */
import { existsSync, readFileSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import logUpdate, { createLogUpdate } from "log-update";
import { type ClusterView, type Job, PaxflowApiError, PaxflowClient, PaxflowUnreachable } from "../../client/index.ts";
import { LOCAL_API_TOKEN } from "../local-cluster.ts";
import { httpUrl, intOption } from "../options.ts";
import { table } from "../table.ts";

const DEFAULT_API = "http://127.0.0.1:8787";

interface ApiFlags {
  api: string;
  json?: boolean;
}

/** The token: PAXFLOW_TOKEN, else the local cluster's when the API is on this machine. */
function tokenFor(api: string): string | undefined {
  const fromEnv = process.env.PAXFLOW_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const host = new URL(api).hostname;
  return host === "127.0.0.1" || host === "localhost" || host === "[::1]" ? LOCAL_API_TOKEN : undefined;
}

const clientFor = (flags: ApiFlags) => new PaxflowClient({ url: flags.api, ...(tokenFor(flags.api) ? { token: tokenFor(flags.api)! } : {}) });

/** What to do about an error, after the API's own message. */
function hint(error: PaxflowApiError): string {
  switch (error.status) {
    case 401:
      return "set PAXFLOW_TOKEN to a client token (API_TOKENS; `npx paxflow dev` prints the local one)";
    case 403:
      return "use a token with that scope";
    case 429:
      return `retry in ${error.retryAfterS ?? 1} s`;
    case 503:
      return "the cluster is electing a leader or overloaded: retry in a moment";
    default:
      return error.retryable ? `retry in ${error.retryAfterS ?? 1} s` : "";
  }
}

/** Runs a command's work; API and connection errors become one line on stderr and exit status 1. */
async function run(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof PaxflowApiError) {
      const what = hint(error);
      console.error(`error: ${error.message} (HTTP ${error.status} ${error.code})${what ? `; ${what}` : ""}`);
      process.exitCode = 1;
      return;
    }
    if (error instanceof PaxflowUnreachable) {
      console.error(`error: ${error.message}; start the local cluster with \`npm start\`, or pass --api <url> (or set PAXFLOW_API)`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

/** A command with --api and --json, and an example in its help. */
function apiCommand(name: string, description: string, examples: readonly string[]): Command {
  return new Command(name)
    .description(description)
    .addOption(new Option("--api <url>", "the paxflow API").env("PAXFLOW_API").default(DEFAULT_API).argParser(httpUrl))
    .option("--json", "print the API's answer as JSON")
    .addHelpText("after", ["", "The token comes from PAXFLOW_TOKEN (default on this machine: the local cluster's).", "", "Examples:", ...examples.map((e) => `  ${e}`)].join("\n"));
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));
const when = (ms: number | undefined) => (ms === undefined ? "-" : new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z"));
const duration = (from: number, to: number | undefined) => (to === undefined ? "-" : `${((to - from) / 1000).toFixed(2)} s`);

// ---- submit ------------------------------------------------------------------------------------

/** --input: JSON text, or the path of a JSON file. */
function readInput(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    // not JSON text: a file?
  }
  if (!existsSync(raw)) throw new InvalidArgumentError(`"${raw}" is neither JSON nor a file`);
  try {
    return JSON.parse(readFileSync(raw, "utf8"));
  } catch (error) {
    throw new InvalidArgumentError(`${raw}: not valid JSON (${(error as Error).message})`);
  }
}

/** One line per call: where it is, where it runs or ran, how long it took, which nodes agreed on its result. */
export function callRows(job: Job): (string | number)[][] {
  return job.calls.map((call) => {
    const last = call.attempts.at(-1);
    const where = call.node ?? last?.node ?? (call.child ? `sub-job ${call.child}` : "-");
    const took = call.startedAt !== undefined && call.finishedAt !== undefined ? `${call.finishedAt - call.startedAt} ms` : "-";
    return [call.seq, call.target, call.status, where, call.attemptCount, took, call.verified ? call.verified.by.join(" + ") : "-"];
  });
}

const CALL_HEADERS = ["#", "call", "status", "node", "attempts", "ran", "verified by"];

/** The live view: the job's line, then its calls (the last 20 of a big fan-out, with counts). */
export function renderJob(job: Job): string {
  const counts = new Map<string, number>();
  for (const call of job.calls) counts.set(call.status, (counts.get(call.status) ?? 0) + 1);
  const summary = [...counts].map(([status, n]) => `${n} ${status}`).join(", ") || "no calls yet";
  const rows = callRows(job);
  const shown = rows.length > 20 ? rows.slice(-20) : rows;
  return [
    `job ${job.id} (${job.name}): ${job.status}, ${summary}${job.finishedAt === undefined ? "" : `, ${duration(job.acceptedAt, job.finishedAt)}`}`,
    ...(shown.length ? [table(CALL_HEADERS, shown)] : []),
    ...(rows.length > shown.length ? [`(${rows.length - shown.length} earlier calls not shown)`] : []),
  ].join("\n");
}

function ending(job: Job): string {
  if (job.status === "done") return `output: ${JSON.stringify(job.output)}`;
  return `${job.status}: ${job.error ? `${job.error.name}: ${job.error.message}` : "no error recorded"}`;
}

/**
 * Polls the job until it ends, showing its calls: redrawn in place on a terminal, a line per
 * change otherwise; on stderr when stdout carries JSON.
 */
async function watch(client: PaxflowClient, id: string, json: boolean): Promise<Job> {
  const out = json ? process.stderr : process.stdout;
  const tty = out.isTTY === true;
  const draw = json ? createLogUpdate(process.stderr) : logUpdate;
  const seen = new Map<number, string>();
  for (;;) {
    const job = await client.job(id, { waitS: 1 });
    if (tty) draw(renderJob(job));
    else {
      for (const row of callRows(job)) {
        const line = `call ${row[0]} ${row[1]}: ${row[2]} on ${row[3]}`;
        if (seen.get(row[0] as number) !== line) out.write(`${line}\n`);
        seen.set(row[0] as number, line);
      }
    }
    if (job.status !== "running") {
      if (tty) draw.done();
      return job;
    }
  }
}

interface SubmitFlags extends ApiFlags {
  input: unknown;
  watch?: boolean;
  idempotencyKey?: string;
}

export const submitCommand = apiCommand("submit", "submit a job; with --watch, show its calls live (queued, running where, done) and then its result", [
  `npx paxflow submit word-count --input '{"text": "the quick brown fox", "chunkChars": 8}' --watch`,
  "npx paxflow submit monte-carlo/pi --input examples/inputs/pi.json --json",
])
  .argument("<job>", "the job's name (GET /v1/openapi.json lists the deployed ones)")
  .requiredOption("--input <json|file>", "the job's input: JSON text, or a JSON file", readInput)
  .option("--watch", "follow the job until it ends; exit status 1 if it fails")
  .option("--idempotency-key <key>", "submitting again with the same key names the same job")
  .action((job: string, flags: SubmitFlags) =>
    run(async () => {
      const client = clientFor(flags);
      const accepted = await client.submit(job, flags.input, flags.idempotencyKey === undefined ? {} : { idempotencyKey: flags.idempotencyKey });
      if (!flags.watch) {
        if (flags.json) print(accepted);
        else console.log(`job ${accepted.id} accepted (${accepted.status}); follow it with: npx paxflow status ${accepted.id} --wait 30`);
        return;
      }
      if (!flags.json) console.log(`job ${accepted.id} accepted`);
      const done = await watch(client, accepted.id, flags.json === true);
      if (flags.json) print(done);
      else console.log(ending(done));
      if (done.status !== "done") process.exitCode = 1;
    }),
  );

// ---- status, jobs, explain, cancel -------------------------------------------------------------

export const statusCommand = apiCommand("status", "a job's status, result or error, and its calls", ["npx paxflow status j-3f2a9c0d1e4b5a69 --wait 30"])
  .argument("<id>", "the job's id")
  .option("--wait <s>", "wait up to this many seconds for it to finish", intOption(0, 60))
  .action((id: string, flags: ApiFlags & { wait?: number }) =>
    run(async () => {
      const job = await clientFor(flags).job(id, flags.wait === undefined ? {} : { waitS: flags.wait });
      if (flags.json) return print(job);
      console.log(`${renderJob(job)}\n${job.status === "running" ? "" : ending(job)}`.trimEnd());
    }),
  );

export const jobsCommand = apiCommand("jobs", "submitted jobs, newest first, across all shards", ["npx paxflow jobs --status failed --limit 20"])
  .addOption(new Option("--status <status>", "only jobs with this status").choices(["running", "done", "failed", "cancelled"]))
  .option("--limit <n>", "how many", intOption(1, 500), 20)
  .action((flags: ApiFlags & { status?: "running" | "done" | "failed" | "cancelled"; limit: number }) =>
    run(async () => {
      const page = await clientFor(flags).jobs({ limit: flags.limit, ...(flags.status ? { status: flags.status } : {}) });
      if (flags.json) return print(page);
      if (page.jobs.length === 0) return console.log("no jobs");
      console.log(table(["id", "job", "status", "accepted", "took", "calls"], page.jobs.map((j) => [j.id, `${j.name}@${j.version}`, j.status, when(j.acceptedAt), duration(j.acceptedAt, j.finishedAt), j.calls])));
    }),
  );

export const explainCommand = apiCommand("explain", "why each call of a job ran where it did: every candidate's predicted finish, and the reason", ["npx paxflow explain j-3f2a9c0d1e4b5a69"])
  .argument("<id>", "the job's id")
  .action((id: string, flags: ApiFlags) =>
    run(async () => {
      const explained = await clientFor(flags).explain(id);
      if (flags.json) return print(explained);
      console.log(`job ${explained.id} (${explained.name}): ${explained.status}`);
      for (const call of explained.calls) {
        console.log(`\ncall ${call.seq} ${call.target}${call.resultFrom ? `: result from ${call.resultFrom}` : ""}${call.child ? `: sub-job ${call.child}` : ""}`);
        for (const attempt of call.attempts) {
          console.log(`  attempt ${attempt.attempt} -> ${attempt.node}${attempt.ending === undefined ? "" : ` (ended: ${attempt.ending})`}: ${attempt.reason}`);
          const rows = attempt.candidates.map((c) => [c.chosen ? `* ${c.node}` : `  ${c.node}`, c.predictedFinishMs.toFixed(1), c.waitMs.toFixed(1), c.transferMs.toFixed(1), c.runMs.toFixed(1)]);
          if (rows.length) console.log(table(["  node", "finish ms", "wait", "transfer", "run"], rows).replace(/^/gm, "    "));
        }
      }
    }),
  );

export const cancelCommand = apiCommand("cancel", "cancel a running job (and its sub-jobs)", ["npx paxflow cancel j-3f2a9c0d1e4b5a69"])
  .argument("<id>", "the job's id")
  .action((id: string, flags: ApiFlags) =>
    run(async () => {
      const job = await clientFor(flags).cancel(id);
      if (flags.json) return print(job);
      console.log(`job ${job.id}: ${job.status}`);
    }),
  );

// ---- nodes, cluster ----------------------------------------------------------------------------

export const nodesCommand = apiCommand("nodes", "every backend: built-ins and registered runners, with status, speed, load and health", ["npx paxflow nodes --json"]).action((flags: ApiFlags) =>
  run(async () => {
    const { nodes } = await clientFor(flags).nodes();
    if (flags.json) return print({ nodes });
    const now = Date.now();
    console.log(
      table(
        ["node", "kind", "status", "caps", "speed", "slots", "queue", "in flight", "heard", "calls"],
        nodes.map((n) => {
          const load = n.lastHeartbeat?.load ?? n.load;
          return [
            n.spec.id,
            n.spec.kind,
            n.status,
            n.spec.caps.join(","),
            `cpu ${n.spec.speed.cpu}${n.spec.speed.simd === undefined ? "" : `, simd ${n.spec.speed.simd}`}`,
            n.spec.slots,
            load?.queue ?? "-",
            load?.inFlight ?? "-",
            n.lastHeartbeat ? `${((now - n.lastHeartbeat.at) / 1000).toFixed(1)} s ago` : "-",
            n.dispatched,
          ];
        }),
      ),
    );
    for (const n of nodes) if (n.quarantine) console.log(`${n.spec.id} is quarantined: ${n.quarantine.reason}`);
  }),
);

/** The verification policy in a line; a warning first when it checks nothing. */
function verificationText({ newNodeCalls, fraction, warning }: ClusterView["verification"]): string {
  return warning ? `warning: ${warning}` : `verification: a new runner's first ${newNodeCalls} calls, and a share of ${fraction} of the others, also run on a second node`;
}

export function clusterText(view: ClusterView): string {
  return `${verificationText(view.verification)}\n\n${view.shards
    .map((s) =>
      [
        `shard ${s.shard}: leader ${s.leader ? `${s.leader.commander} (ballot ${s.leader.ballot})` : "none"}, chosen ${s.chosenIndex}, applied ${s.appliedIndex}`,
        table(["commander", "role", "learned", "applied"], s.commanders.map((c) => [c.name, c.role, c.learnedThrough ?? "-", c.appliedThrough ?? "-"])),
        table(["acceptor", "health", "latency ms", "chosen", "fault"], s.acceptors.map((a) => [a.name, a.health, a.latencyMs === null ? "-" : a.latencyMs.toFixed(1), a.chosenThrough ?? "-", a.fault ? JSON.stringify(a.fault) : "-"])),
      ].join("\n"),
    )
    .join("\n\n")}`;
}

export const clusterCommand = apiCommand("cluster", "the command plane: each shard's leader, ballot, chosen and applied indexes, commanders and acceptors", ["npx paxflow cluster"]).action(
  (flags: ApiFlags) =>
    run(async () => {
      const view = await clientFor(flags).cluster();
      if (flags.json) return print(view);
      console.log(clusterText(view));
    }),
);

export const clientCommands = [submitCommand, statusCommand, jobsCommand, nodesCommand, clusterCommand, explainCommand, cancelCommand];
