/**
 * The chaos suite: the real local cluster (workerd through wrangler dev with persisted state,
 * CPU runners behind slow links, a runner that answers every result twice, one that answers
 * very late, the gpu-runner), a seeded workload whose right endings are computed independently,
 * and a seeded fault schedule acted out while the jobs run. At the end: how every accepted job
 * ended (right, wrong, or not at all: lost), what the plane counted (re-dispatches, duplicate
 * and late results dropped), and whether every learner of each shard holds the same value in
 * every slot (entries compared as the run goes; the applied digests after a final catch-up).
 * Pass: zero wrong, zero lost, zero conflicts.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type HttpAnswer, type LocalApp, LocalCluster, type RunnerSpec, freePort, http } from "../cli/local-cluster.ts";
import { loadRegistry } from "../runners/cli-common.ts";
import { LogCheck } from "./log-check.ts";
import { type Fault, type TimedFault, describeFault, faultSchedule } from "./schedule.ts";
import { SlowLink } from "./slow-link.ts";
import { type ChaosJob, type Observed, endedRight, workload } from "./workload.ts";

export interface ChaosOptions {
  /** The app the cluster runs; its registry must have the workload's jobs (the tests' app: test/shared/local-app.ts). */
  readonly app: LocalApp;
  readonly jobs: number;
  readonly seed: number;
  /** Start the gpu-runner (and put SIMD jobs in the workload). */
  readonly gpu: boolean;
  /** How long jobs are submitted and faults injected; default max(40 s, 200 ms per job). */
  readonly durationMs?: number;
  /** Longest wait, after the faults end, for every accepted job to finish; default 180 s. */
  readonly settleMs?: number;
  /** Progress, one line each. */
  readonly progress?: (line: string) => void;
}

export interface ChaosReport {
  readonly seed: number;
  readonly durationMs: number;
  readonly jobs: {
    readonly submitted: number;
    readonly accepted: number;
    /** Submissions the API refused for good (4xx): none expected. */
    readonly refused: number;
    readonly finishedCorrectly: number;
    readonly finishedWrongly: number;
    /** Accepted, and never terminal. */
    readonly lost: number;
    readonly wrong: readonly { readonly id: string; readonly name: string; readonly expected: unknown; readonly seen: unknown }[];
    readonly lostIds: readonly string[];
  };
  readonly calls: {
    readonly redispatched: number;
    readonly timeouts: number;
    /** Results for calls that already had one (a re-dispatched call answered by both nodes): dropped. */
    readonly duplicateResultsDropped: number;
    /** Result reports the runner that answers twice sent a second time (it prints each, with the plane's answer). */
    readonly reportsSentTwice: number;
    /** Of those, the ones the plane answered from the log ("already recorded") or did not take: no second result. */
    readonly repeatedReportsDropped: number;
    /** Results after their job ended: dropped. */
    readonly lateResultsDropped: number;
  };
  readonly log: {
    readonly learners: number;
    readonly slotsSeen: number;
    readonly slotsCompared: number;
    readonly conflicts: number;
    /** Per shard: every commander's applied digest after a final catch-up, and whether they agree. */
    readonly digests: readonly { readonly shard: number; readonly appliedThrough: readonly number[]; readonly agree: boolean }[];
  };
  readonly faults: readonly { readonly at: number; readonly fault: string; readonly ok: boolean; readonly note?: string }[];
  readonly pass: boolean;
}

const SHAPE = { shards: 2, acceptorsPerShard: 3, commandersPerShard: 2 };

/**
 * The honest CPU runners (behind slow links), and the two that misbehave all along. Speeds are
 * declared high so placement prefers runners to the stage Worker (speed 1, many slots): the
 * faults then hit calls in flight.
 */
const HONEST: readonly Omit<RunnerSpec, "id" | "port" | "advertiseUrl" | "apiUrl">[] = [
  { kind: "cpu", speed: 4, slots: 2 },
  { kind: "cpu", speed: 3, slots: 2 },
  { kind: "cpu", speed: 2, slots: 1 },
];
// Fast on paper, so placement gives them work (the stage Worker runs at speed 1 with many slots).
const TWICE: RunnerSpec = { id: "cpu-twice", kind: "cpu", speed: 3, slots: 2, extraArgs: ["--misbehave", "twice"] };
/** Answers long after a spin call's deadline (5 s): the call goes elsewhere, and its answer comes late. */
const LATE: RunnerSpec = { id: "cpu-late", kind: "cpu", speed: 2.5, slots: 2, extraArgs: ["--misbehave", "late=8000"] };
const HANG = (n: number): RunnerSpec => ({ id: `cpu-hang-${n}`, kind: "cpu", speed: 4, slots: 2, extraArgs: ["--misbehave", "hang"] });

const TERMINAL = new Set(["done", "failed", "cancelled"]);

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const progress = options.progress ?? (() => {});
  const durationMs = options.durationMs ?? Math.max(40_000, options.jobs * 200);
  progress(`chaos: computing the right ending of ${options.jobs} jobs (runLocally)`);
  const jobs = workload(await loadRegistry(options.app.registry), options.seed, options.jobs, options.gpu);
  const dir = mkdtempSync(join(tmpdir(), "paxflow-chaos-"));
  const tail: string[] = [];
  const twice = { sent: 0, dropped: 0 };
  const cluster = new LocalCluster({
    app: options.app,
    port: await freePort(),
    inspectorPort: await freePort(),
    persistTo: join(dir, "state"),
    vars: { PAXFLOW_CHAOS: "1" },
    progress,
    output: (source, line) => {
      const answered = / twice; the plane answered: (.*)$/.exec(line);
      if (answered) {
        twice.sent++;
        if (/already recorded|not taken/.test(answered[1]!)) twice.dropped++;
      }
      tail.push(`[${source}] ${line}`);
      if (tail.length > 200) tail.shift();
    },
  });
  const links = new Map<string, { call: SlowLink; api: SlowLink; spec: RunnerSpec }>();
  const stopping = new AbortController();
  try {
    await cluster.startWorkerd();
    // Each honest runner listens on a fixed port behind two slow links (plane -> runner, runner -> plane).
    for (const [i, template] of HONEST.entries()) {
      const id = `cpu-${i + 1}`;
      const port = await freePort();
      const call = await new SlowLink(`http://127.0.0.1:${port}`).start();
      const api = await new SlowLink(cluster.url).start();
      links.set(id, { call, api, spec: { ...template, id, port, advertiseUrl: call.url, apiUrl: api.url } });
    }
    await cluster.startRunners([...[...links.values()].map((l) => l.spec), TWICE, LATE]);
    if (options.gpu) {
      // Without a WebGPU adapter the gpu-runner exits at start: the run goes on without it (SIMD stages run on CPU backends).
      await cluster.startRunners([{ id: "gpu-1", kind: "gpu" }]).catch((error: unknown) =>
        progress(`chaos: no gpu-runner (${error instanceof Error ? error.message.split("\n")[0] : String(error)}); SIMD stages run on CPU backends`),
      );
    }

    const schedule = faultSchedule(options.seed, durationMs, { ...SHAPE, runners: [...links.keys()] });
    progress(`chaos: ${jobs.length} jobs over ${(durationMs / 1000).toFixed(0)} s, ${schedule.length} faults (seed ${options.seed})`);

    const check = new LogCheck();
    const learnedUpTo = new Map<string, number>();
    const polling = pollLogs(cluster, check, learnedUpTo, stopping.signal);
    const started = Date.now();
    const faults = actOut(cluster, schedule, links, started, progress);
    const outcomes = await runJobs(cluster, jobs, durationMs, started, progress);
    const faultLog = await faults;
    await heal(cluster, links);
    const settled = await settle(cluster, outcomes, options.settleMs ?? 180_000, progress);
    stopping.abort();
    await polling;
    await readLogs(cluster, check, learnedUpTo); // the last entries
    const digests = await finalDigests(cluster);
    const counters = digests.counters;

    const wrong: ChaosReport["jobs"]["wrong"][number][] = [];
    const lostIds: string[] = [];
    let right = 0;
    for (const { job, id } of outcomes) {
      if (id === null) continue;
      const seen = settled.get(id);
      if (!seen || !TERMINAL.has(seen.status)) lostIds.push(id);
      else if (endedRight(job, seen)) right++;
      else wrong.push({ id, name: job.name, expected: job.expected, seen: { status: seen.status, output: seen.output, error: seen.error } });
    }
    const accepted = outcomes.filter((o) => o.id !== null).length;
    const { slots, compared } = check.counts();
    const report: ChaosReport = {
      seed: options.seed,
      durationMs: Date.now() - started,
      jobs: {
        submitted: jobs.length,
        accepted,
        refused: outcomes.filter((o) => o.refused).length,
        finishedCorrectly: right,
        finishedWrongly: wrong.length,
        lost: lostIds.length,
        wrong,
        lostIds,
      },
      calls: {
        redispatched: counters.redispatches,
        timeouts: counters.timeouts,
        duplicateResultsDropped: counters.duplicateResults,
        lateResultsDropped: counters.lateResults,
        reportsSentTwice: twice.sent,
        repeatedReportsDropped: twice.dropped,
      },
      log: { learners: SHAPE.shards * SHAPE.commandersPerShard, slotsSeen: slots, slotsCompared: compared, conflicts: check.conflicts.length, digests: digests.shards },
      faults: faultLog,
      pass: wrong.length === 0 && lostIds.length === 0 && check.conflicts.length === 0 && digests.shards.every((s) => s.agree),
    };
    if (!report.pass) progress(`chaos: FAILED; the cluster's last output:\n${tail.slice(-60).join("\n")}`);
    return report;
  } finally {
    stopping.abort();
    await cluster.stop().catch(() => undefined);
    await Promise.all([...links.values()].flatMap((l) => [l.call.close(), l.api.close()]));
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the workload -----------------------------------------------------------------------------

interface Submitted {
  readonly job: ChaosJob;
  /** The job's id once the API accepted it; null when it never did. */
  id: string | null;
  refused: boolean;
}

/** Submits the jobs evenly over `durationMs`, each retried through faults (its idempotency key makes a retry the same job). */
async function runJobs(cluster: LocalCluster, jobs: readonly ChaosJob[], durationMs: number, started: number, progress: (line: string) => void): Promise<Submitted[]> {
  const out: Submitted[] = jobs.map((job) => ({ job, id: null, refused: false }));
  const gapMs = durationMs / Math.max(1, jobs.length);
  let accepted = 0;
  await Promise.all(
    out.map(async (entry, i) => {
      await sleep(Math.max(0, started + i * gapMs - Date.now()));
      const body = { job: entry.job.name, input: entry.job.input, idempotencyKey: entry.job.key };
      const answer = await retrying(() => cluster.api("/v1/jobs", { method: "POST", body, timeoutMs: 20_000 }), started + durationMs + 120_000);
      if (answer && answer.status >= 200 && answer.status < 300) {
        entry.id = (answer.json as { id: string }).id;
        if (++accepted % 50 === 0) progress(`chaos: ${accepted} of ${jobs.length} jobs accepted`);
      } else entry.refused = answer !== null;
    }),
  );
  return out;
}

/** Until a 2xx or a 4xx other than 429 (null: the deadline passed on retryable answers). */
async function retrying(send: () => Promise<HttpAnswer>, deadline: number): Promise<HttpAnswer | null> {
  for (let wait = 200; Date.now() < deadline; wait = Math.min(wait * 2, 3_000)) {
    try {
      const answer = await send();
      if (answer.status < 500 && answer.status !== 429) return answer;
    } catch {
      // workerd restarting: try again
    }
    await sleep(wait);
  }
  return null;
}

/** Polls every accepted job until it is terminal or `settleMs` passed. */
async function settle(cluster: LocalCluster, jobs: readonly Submitted[], settleMs: number, progress: (line: string) => void): Promise<Map<string, Observed>> {
  const seen = new Map<string, Observed>();
  const deadline = Date.now() + settleMs;
  const open = jobs.filter((j) => j.id !== null).map((j) => j.id!);
  progress(`chaos: faults over; waiting for ${open.length} accepted jobs to finish`);
  let pending = open;
  while (pending.length > 0 && Date.now() < deadline) {
    const next: string[] = [];
    for (let i = 0; i < pending.length; i += 16) {
      await Promise.all(
        pending.slice(i, i + 16).map(async (id) => {
          try {
            const answer = await cluster.api(`/v1/jobs/${id}`, { timeoutMs: 20_000 });
            if (answer.status === 200) seen.set(id, answer.json as Observed);
          } catch {
            // not reachable yet
          }
          if (!TERMINAL.has(seen.get(id)?.status ?? "")) next.push(id);
        }),
      );
    }
    if (next.length > 0 && next.length !== pending.length) progress(`chaos: ${next.length} jobs still running`);
    pending = next;
    if (pending.length > 0) await sleep(1_000);
  }
  return seen;
}

// ---- faults -------------------------------------------------------------------------------------

/** Acts out the schedule; each fault's outcome goes in the report. */
async function actOut(
  cluster: LocalCluster,
  schedule: readonly TimedFault[],
  links: ReadonlyMap<string, { call: SlowLink; api: SlowLink; spec: RunnerSpec }>,
  started: number,
  progress: (line: string) => void,
): Promise<ChaosReport["faults"][number][]> {
  const log: ChaosReport["faults"][number][] = [];
  let hangs = 0;
  await Promise.all(
    schedule.map(async ({ at, fault }) => {
      await sleep(Math.max(0, started + at - Date.now()));
      progress(`chaos: t+${((Date.now() - started) / 1000).toFixed(1)} s ${describeFault(fault)}`);
      try {
        const note = await enact(cluster, fault, links, () => ++hangs);
        log.push({ at, fault: describeFault(fault), ok: true, ...(note ? { note } : {}) });
      } catch (error) {
        const note = error instanceof Error ? error.message : String(error);
        progress(`chaos: fault "${describeFault(fault)}" could not be acted out: ${note}`);
        log.push({ at, fault: describeFault(fault), ok: false, note });
      }
    }),
  );
  return log.sort((a, b) => a.at - b.at);
}

/** Acts out one fault; may return a note for the report (what it found). */
async function enact(cluster: LocalCluster, fault: Fault, links: ReadonlyMap<string, { call: SlowLink; api: SlowLink; spec: RunnerSpec }>, nextHang: () => number): Promise<string | void> {
  switch (fault.kind) {
    case "runner-kill": {
      // Mid-call: the scheduled runner if it has work in flight, else the first honest one that
      // has (placement may have moved work away from it); waits up to 10 s for one.
      const order = [fault.runner, ...[...links.keys()].filter((id) => id !== fault.runner)];
      let victim = fault.runner;
      let busy = false;
      for (const deadline = Date.now() + 10_000; !busy && Date.now() < deadline; ) {
        for (const id of order) {
          if ((busy = await midCall(cluster, links.get(id)!.spec))) {
            victim = id;
            break;
          }
        }
        if (!busy) await sleep(50);
      }
      await cluster.stopRunner(victim, "SIGKILL");
      await sleep(fault.downMs);
      await startRunnerRetrying(cluster, links.get(victim)!.spec);
      return busy ? `killed ${victim} mid-call` : `killed ${victim}, which had no call in flight for 10 s`;
    }
    case "runner-hang": {
      const spec = HANG(nextHang());
      await startRunnerRetrying(cluster, spec);
      await sleep(fault.forMs);
      await cluster.stopRunner(spec.id, "SIGKILL");
      return;
    }
    case "acceptors-down":
      await Promise.all(fault.acceptors.map((a) => setAcceptorFault(cluster, fault.shard, a, { mode: "down" })));
      await sleep(fault.forMs);
      await Promise.all(fault.acceptors.map((a) => setAcceptorFault(cluster, fault.shard, a, null)));
      return;
    case "commander-abort": {
      const answer = await retrying(() => cluster.api(`/v1/chaos/commanders/${fault.shard}/${fault.commander}/abort`, { method: "POST", body: {} }), Date.now() + 30_000);
      if (answer?.status !== 202) throw new Error(`abort answered ${answer?.status ?? "nothing"}: ${answer?.text ?? ""}`);
      return;
    }
    case "workerd-restart":
      await cluster.stopWorkerd("SIGKILL");
      await sleep(fault.downMs);
      await cluster.startWorkerd();
      return;
    case "slow-link": {
      const link = links.get(fault.runner)!;
      link.call.delayMs = link.api.delayMs = fault.delayMs;
      await sleep(fault.forMs);
      link.call.delayMs = link.api.delayMs = 0;
      return;
    }
  }
}

/**
 * Whether a runner is running a call: GET {runner}/v1/status on its own port (not through the
 * slow link), signed as the plane signs it. The CPU runner runs a stage on its one thread, so
 * while it computes, the status request waits: no answer within 100 ms means mid-call too.
 */
async function midCall(cluster: LocalCluster, spec: RunnerSpec): Promise<boolean> {
  const headers = await cluster.runnerSignature(spec.id, "GET", "/v1/status");
  try {
    const answer = await http(`http://127.0.0.1:${spec.port}/v1/status`, { headers, timeoutMs: 100 });
    return answer.status === 200 && (answer.json as { inFlight: number }).inFlight > 0;
  } catch (error) {
    return error instanceof Error && error.message.includes("no answer within");
  }
}

/** A runner start can meet workerd mid-restart: try again for a while. */
async function startRunnerRetrying(cluster: LocalCluster, spec: RunnerSpec): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await cluster.startRunners([spec]);
      return;
    } catch (error) {
      await cluster.stopRunner(spec.id, "SIGKILL");
      if (attempt >= 3) throw error;
      await sleep(2_000);
    }
  }
}

async function setAcceptorFault(cluster: LocalCluster, shard: number, acceptor: number, fault: { mode: "down" } | null): Promise<void> {
  const answer = await retrying(() => cluster.api(`/v1/chaos/acceptors/${shard}/${acceptor}`, { method: "POST", body: { fault } }), Date.now() + 60_000);
  if (answer?.status !== 200) throw new Error(`setting acceptor ${shard}/${acceptor}'s fault answered ${answer?.status ?? "nothing"}: ${answer?.text ?? ""}`);
}

/** After the schedule: every acceptor up, every link fast, every honest runner running, workerd up. */
async function heal(cluster: LocalCluster, links: ReadonlyMap<string, { call: SlowLink; api: SlowLink; spec: RunnerSpec }>): Promise<void> {
  if (!cluster.workerd?.running) await cluster.startWorkerd();
  for (let shard = 0; shard < SHAPE.shards; shard++) {
    for (let a = 0; a < SHAPE.acceptorsPerShard; a++) await setAcceptorFault(cluster, shard, a, null);
  }
  for (const link of links.values()) {
    link.call.delayMs = link.api.delayMs = 0;
    if (!cluster.runners.get(link.spec.id)?.process.running) await startRunnerRetrying(cluster, link.spec);
  }
}

// ---- the log ------------------------------------------------------------------------------------

/** Every learner's entries since it was last read (`learnedUpTo`: the last slot read, per learner), into the check. */
async function readLogs(cluster: LocalCluster, check: LogCheck, learnedUpTo: Map<string, number>): Promise<void> {
  for (let shard = 0; shard < SHAPE.shards; shard++) {
    for (let c = 0; c < SHAPE.commandersPerShard; c++) {
      const learner = `shard-${shard}/commander-${c}`;
      for (let pages = 0; pages < 20; pages++) {
        const from = (learnedUpTo.get(learner) ?? 0) + 1;
        let answer: HttpAnswer;
        try {
          answer = await cluster.api(`/v1/chaos/commanders/${shard}/${c}/log?from=${from}&limit=500`, { timeoutMs: 10_000 });
        } catch {
          break;
        }
        if (answer.status !== 200) break;
        const entries = (answer.json as { entries: { slot: number; entry: unknown }[] }).entries;
        for (const { slot, entry } of entries) {
          check.observe(shard, learner, slot, createHash("sha256").update(JSON.stringify(entry)).digest("hex"));
          learnedUpTo.set(learner, Math.max(learnedUpTo.get(learner) ?? 0, slot));
        }
        if (entries.length < 500) break;
      }
    }
  }
}

async function pollLogs(cluster: LocalCluster, check: LogCheck, learnedUpTo: Map<string, number>, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    await readLogs(cluster, check, learnedUpTo).catch(() => undefined);
    await sleep(2_000, undefined, { signal: stop }).catch(() => undefined);
  }
}

type Counters = { redispatches: number; timeouts: number; duplicateResults: number; lateResults: number };

/** Each commander caught up; per shard, whether their applied digests agree; the job counters (summed over shards). */
async function finalDigests(cluster: LocalCluster): Promise<{ shards: ChaosReport["log"]["digests"][number][]; counters: Counters }> {
  const counters: Counters = { redispatches: 0, timeouts: 0, duplicateResults: 0, lateResults: 0 };
  const shards: ChaosReport["log"]["digests"][number][] = [];
  for (let shard = 0; shard < SHAPE.shards; shard++) {
    let views: { appliedThrough: number; digest: string; counters: Counters }[] = [];
    // Catch-up brings each to the chosen index; ask until they report the same one.
    for (let round = 0; round < 10; round++) {
      views = [];
      for (let c = 0; c < SHAPE.commandersPerShard; c++) {
        const answer = await retrying(() => cluster.api(`/v1/chaos/commanders/${shard}/${c}/catch-up`, { method: "POST", body: {} }), Date.now() + 30_000);
        if (answer?.status === 200) views.push(answer.json as (typeof views)[number]);
      }
      if (views.length === SHAPE.commandersPerShard && views.every((v) => v.appliedThrough === views[0]!.appliedThrough)) break;
      await sleep(500);
    }
    const same = views.length === SHAPE.commandersPerShard && views.every((v) => v.appliedThrough === views[0]!.appliedThrough);
    shards.push({ shard, appliedThrough: views.map((v) => v.appliedThrough), agree: same && views.every((v) => v.digest === views[0]!.digest) });
    const best = [...views].sort((a, b) => b.appliedThrough - a.appliedThrough)[0];
    if (best) for (const key of Object.keys(counters) as (keyof Counters)[]) counters[key] += best.counters[key];
  }
  return { shards, counters };
}
