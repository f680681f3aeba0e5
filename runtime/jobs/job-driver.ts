/**
 * The commander's job side: learner (applies the log to a JobsState), scheduler (advance +
 * placement) and dispatcher (sends calls to backends, watches deadlines). Every decision goes
 * through the log first; the driver acts on a decision only once it is applied, so a commander
 * that dies between deciding and acting loses nothing: its successor sees the decision in the
 * log and finishes the work (see resume()).
 */
import type { Value } from "../../core/codec.ts";
import { type AdvanceContext, DEFAULT_MAX_RUNNING_JOBS, type Draft, type InlineRun, type JobSeed, advance, codeOf } from "../../core/jobs/advance.ts";
import { claimsDecision } from "../../core/jobs/decision-shape.ts";
import { type Decision, INLINE_NODE, type JobId, type NodeId, type NodeLoad, type NodeSpec, WORKER_NODE, decisionId, decodeDecision } from "../../core/jobs/decisions.ts";
import { ADVANCE_FAILED, type CoreBrokenRules, type Input, JobCore, type Ready, type Send, type Task } from "../../core/jobs/job-core.ts";
import { DEFAULT_MAX_NODES, admitRegistration } from "../../core/jobs/nodes.ts";
import type { Payload } from "../../core/jobs/payload.ts";
import { verifyReasonFor } from "../../core/jobs/recovery.ts";
import type { VerifyPolicy } from "../../core/jobs/verification.ts";
import type { LearningScheduler } from "../../core/sched/scheduler.ts";
import { DEFAULT_JOB_RETENTION_MS, expired, retentionCutoff } from "../../core/jobs/retention.ts";
import { type JobRecord, type JobStatus, type JobsState, type JobsSnapshot, type NodeStatus, bundlingOther, takenFrom } from "../../core/jobs/state.ts";
import { quarantineOf, replyAfterProposing, replyBeforeProposing } from "../../core/jobs/result-offers.ts";
import { workerRunSpan } from "../../core/jobs/worker-timing.ts";
import { type Viewer, cancelledBy, mayAccess } from "../../core/jobs/tenancy.ts";
import type { Call } from "../../core/sdk/effects.ts";
import { type Registry, findJob, jobRef, splitRef } from "../../core/sdk/registry.ts";
import { runStage } from "../../core/sdk/run-stage.ts";
import { JobRun, type Outcome } from "../../core/sdk/replay.ts";
import type { StateMachine } from "../applied-log.ts";
import type { CommanderDriver, SubmitCommand } from "../commander-driver.ts";
import { PaxflowError, errorCode, errorMessage } from "../errors.ts";
import { type Logger, type Sink, jsonLogger } from "../log.ts";
import type { Timers } from "../timers.ts";
import type { Backends } from "./backends.ts";
import type {
  JobEventsReply,
  JobPlane,
  JobSummary,
  JobView,
  JobsMetrics,
  JobsStats,
  ListJobsQuery,
  ListJobsReply,
  NodeView,
  ResultOffer,
  ResultOfferReply,
  SubmitJobReply,
  SubmitJobRequest,
} from "./contract.ts";
import {
  type CallCount,
  type FinishedJobs,
  type FinishedJobsPeer,
  type StoreCursor,
  type StoredJob,
  callKey,
  callTally,
  listed,
  newestFirst,
  summaryOf,
} from "./finished-jobs.ts";
import { LiveJobs } from "./live-jobs.ts";
import type { Payloads } from "./payload-store.ts";
import type { PayloadHolds } from "./payload-holds.ts";

/** Most decisions one proposal carries (propose); well under the commander's MAX_PENDING. */
const MAX_DECISIONS_PER_PROPOSAL = 1_000;

/** Whether a proposal may begin at this decision: not in the middle of a call's first dispatch and its inline runs. */
const startsGroup = (d: Decision): boolean => d.type !== "call.result" && !(d.type === "call.dispatched" && d.attempt !== 1);

export interface JobDriverOptions {
  readonly shard: number;
  readonly registry: Registry;
  readonly payloads: Payloads;
  readonly backends: Backends;
  readonly timers: Timers;
  /** Built-in backends (inline, worker) as this deployment describes them. */
  readonly builtins: readonly NodeSpec[];
  /**
   * Placement, and what it learns: fed with every applied decision and every heartbeat, asked
   * where calls go, which calls deserve a backup and which nodes look like failing.
   */
  readonly scheduler: LearningScheduler;
  /** Longest a long-poll (getJob/jobEvents with a wait) is held. */
  readonly maxWaitMs: number;
  /** Finished jobs, off the heap (finished-jobs.ts): memory keeps running jobs only. */
  readonly finished: FinishedJobs;
  /** How long a finished job stays readable (JOB_RETENTION), on the log's clock; default DEFAULT_JOB_RETENTION_MS. */
  readonly retentionMs?: number;
  /** Holds on the large payloads the log names, and their deletion once no kept job names them (payload-holds.ts); none: blobs stay. */
  readonly payloadHolds?: PayloadHolds;
  /** This commander's lasting name (not the incarnation's id): the snapshots it takes name it as their author. */
  readonly name: string;
  /**
   * The other commanders of the shard, by name: where one that adopted a snapshot copies the
   * finished jobs retired in the slots it skipped (the snapshot's author first, see fillGap).
   */
  readonly peers?: () => ReadonlyMap<string, FinishedJobsPeer>;
  /** Most calls one job may make (MAX_CALLS_PER_JOB); default DEFAULT_MAX_CALLS_PER_JOB. */
  readonly maxCallsPerJob?: number;
  /** Deepest sub-job (MAX_JOB_DEPTH); default DEFAULT_MAX_JOB_DEPTH. */
  readonly maxJobDepth?: number;
  /** Which runner calls are re-run on a second node (VERIFY_FRACTION, VERIFY_NEW_NODE_CALLS); default DEFAULT_VERIFY_POLICY. */
  readonly verify?: VerifyPolicy;
  /** Most jobs the shard runs at once (MAX_RUNNING_JOBS); a submit beyond it is refused. Default DEFAULT_MAX_RUNNING_JOBS. */
  readonly maxRunningJobs?: number;
  /** Most runners the shard registers (MAX_NODES); default DEFAULT_MAX_NODES. */
  readonly maxNodes?: number;
  /** A runner the leader has not heard from this long is removed (NODE_EXPIRY_MS); default DEFAULT_NODE_EXPIRY_MS. */
  readonly nodeExpiryMs?: number;
  /** Deep-freeze the input of each inline call (PAXFLOW_FREEZE_INPUTS, core/sdk/run-stage.ts); default off. */
  readonly freezeInputs?: boolean;
  /** Builds the commander around the state machine this driver gives it. */
  readonly commander: (machine: StateMachine, onElected: () => void) => CommanderDriver;
  /** Where log lines go (default the console); the job-plane simulation keeps its thousands of runs quiet. */
  readonly logSink?: Sink;
  /**
   * Rules broken on purpose, one flag each, read in one place: only the job-plane simulation's
   * variants set them (runtime/sim/job-variants.ts), to show that its checker catches each.
   */
  readonly broken?: BrokenRules;
}

export interface BrokenRules extends CoreBrokenRules {
  /** The leader applies a new job to its state and answers the submit before the log chose it. */
  readonly answerSubmitBeforeChosen?: boolean;
}

/**
 * Most finished jobs, and about most bytes of them, one page of a peer's copy carries (fillGap):
 * a Durable Object RPC reply must stay well under its 32 MiB limit, and one job can be MBs.
 */
const GAP_PAGE = 100;
const GAP_PAGE_BYTES = 4 * 1024 * 1024;

/**
 * Expired jobs are deleted when the log's clock has moved on by this share of JOB_RETENTION since
 * the last sweep (reads hide them as soon as they expire, so this only bounds the disk's lag).
 */
const SWEEP_SHARE = 64;

/**
 * The lane registrations share (other lanes are job ids or nodes' lanes, which never look like
 * this): one at a time, so each counts the nodes the one before it added (MAX_NODES).
 */
const REGISTRATIONS = "node registrations";


const samePayload = (a: Payload, b: Payload): boolean =>
  a.bytes === b.bytes && ("inline" in a ? "inline" in b && a.inline === b.inline : "r2" in b && a.r2 === b.r2);


/** Resolves waiters registered under a key when that key is poked. */
class Signals {
  private readonly waiting = new Map<string, Set<() => void>>();
  wait(key: string, ms: number, timers: Timers): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiting.get(key) ?? new Set();
      this.waiting.set(key, set);
      const done = () => {
        timers.clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiting.delete(key);
        resolve();
      };
      const timer = timers.setTimeout(done, ms);
      set.add(done);
    });
  }
  poke(key: string): void {
    for (const done of [...(this.waiting.get(key) ?? [])]) done();
  }
}

export class JobDriver implements JobPlane {
  readonly commander: CommanderDriver;
  private readonly o: JobDriverOptions;
  /** The rules (core/jobs/job-core.ts): this class only pumps it, and does the I/O it asks for. */
  private readonly core: JobCore;
  /** The one timer: when the core next wants a look (deadlines, stragglers, silent runners). */
  private timer: unknown = null;
  private timerAt = Infinity;
  private pumpScheduled = false;
  /** The shell's own turns in a lane (exclusive), by token, until the core hands them out. */
  private readonly turns = new Map<number, () => void>();
  private nextToken = 0;
  private readonly signals = new Signals();
  /** Running jobs as this leader keeps them between steps (live-jobs.ts). */
  private readonly live: LiveJobs;
  private readonly retentionMs: number;
  /** The last slot applied here, and the retention cutoff of the last sweep of the store. */
  private appliedThrough = 0;
  private sweptTo = -Infinity;
  /**
   * Slots this commander skipped by adopting a snapshot, whose finished jobs its store lacks
   * until they are copied from the snapshot's author (fillGap); null when the store is complete.
   */
  private gap: { readonly after: number; readonly through: number; readonly author: string | undefined } | null = null;
  private filling: Promise<void> | null = null;

  constructor(options: JobDriverOptions) {
    this.o = options;
    this.live = new LiveJobs(options.registry, options.payloads);
    this.core = new JobCore({
      registry: options.registry,
      scheduler: options.scheduler,
      builtins: options.builtins,
      ...(options.verify ? { verify: options.verify } : {}),
      ...(options.nodeExpiryMs === undefined ? {} : { nodeExpiryMs: options.nodeExpiryMs }),
      self: () => this.id,
      ...(options.broken ? { broken: options.broken } : {}),
    });
    this.retentionMs = options.retentionMs ?? DEFAULT_JOB_RETENTION_MS;
    const machine: StateMachine = {
      apply: (data, _id, slot) => {
        const decision = decodeDecision(data);
        if (decision) this.applied(decision, slot);
        else if (claimsDecision(data)) {
          // Every replica skips it alike, so they stay in step; say so once per entry.
          this.state.counters.malformedDecisions++;
          this.log.warn("skipped a malformed log entry", { type: data.type });
        }
      },
      appliedSlot: (slot) => this.appliedSlot(slot),
      // Running jobs only (finished ones are on every commander's disk): small, whatever the history.
      snapshot: (): JobsSnapshot => ({ ...this.state.snapshot(), author: options.name }),
      restore: (snapshot, through) => {
        if (!snapshot) return;
        const adopted = snapshot as JobsSnapshot;
        this.live.clear();
        this.step({ type: "restored", snapshot: adopted, through });
        this.adopted(through, adopted.author);
      },
      snapshotReady: () => this.gap === null,
    };
    this.commander = options.commander(machine, () => this.onElected());
    for (const spec of options.builtins) options.scheduler.nodeUp(spec, options.timers.now());
  }

  /** The applied state (the core's): running jobs and nodes. */
  get state(): JobsState {
    return this.core.state;
  }

  private get leading(): boolean {
    return this.commander.role === "leader";
  }

  private get id(): string {
    return this.commander.id;
  }

  private get log(): Logger {
    return jsonLogger({ shard: this.o.shard, commander: this.id }, this.o.logSink);
  }

  /** A job tree is one trace: its root job's id. */
  private traceOf(job: JobId): string {
    return this.state.job(job)?.root ?? job;
  }

  private now(): number {
    return this.o.timers.now();
  }

  /** This incarnation is gone: no more timers, every waiting caller fails. */
  close(): void {
    if (this.timer !== null) this.o.timers.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
    this.o.payloadHolds?.close();
    this.commander.close();
  }

  // ---- pumping the core -------------------------------------------------------------------

  private step(input: Input): void {
    this.handle(this.core.step(input));
  }

  /** Does what a step asks, in its order: the store first, so whoever is woken reads the finished job there. */
  private handle(ready: Ready): void {
    if (ready.persist.length > 0) this.o.finished.put(ready.persist);
    for (const { job, seq } of ready.settled) this.live.changed(job, seq);
    for (const job of ready.ended) this.live.drop(job);
    for (const job of ready.wake) this.signals.poke(`job:${job}`);
    for (const line of ready.log) this.log[line.level](line.message, line.fields);
    for (const send of ready.send) queueMicrotask(() => void this.send(send));
    if (this.core.hasWork && !this.pumpScheduled) {
      // Once the current burst of applies is over: a slot of many results steps each job once.
      this.pumpScheduled = true;
      queueMicrotask(() => {
        this.pumpScheduled = false;
        void this.pump();
      });
    }
    this.arm();
  }

  /** Runs every task the core hands out now; resolves once they (and the tasks they free, except a job's next step) are done. */
  private async pump(): Promise<void> {
    await Promise.all(this.core.takeWork(this.now(), this.leading).map((task) => this.run(task)));
  }

  private async run(task: Task): Promise<void> {
    if (task.kind === "turn") {
      this.turns.get(task.token)?.();
      this.turns.delete(task.token);
      return;
    }
    let ok = false;
    try {
      if (task.kind === "advance") await this.advanceJob(task.lane);
      else await this.propose(task.decisions);
      ok = true;
    } catch (error) {
      // Not leader any more, or the quorum is away: the next leader (or the next poke or tick) retries.
      if (task.kind === "advance") this.live.drop(task.lane);
      const failure = task.kind === "advance" ? ADVANCE_FAILED : task.failure;
      this.log.warn(failure, { lane: task.lane, trace: this.traceOf(task.lane), reason: errorMessage(error) });
    }
    this.step({ type: "settled", lane: task.lane, ok, now: this.now() });
    if (task.kind !== "advance") await this.pump();
  }

  /** Runs `work` in the lane's turn: after every task the lane handed out before, and before any after. */
  private async exclusive<T>(lane: string, work: () => Promise<T>): Promise<T> {
    const token = ++this.nextToken;
    const granted = new Promise<void>((resolve) => this.turns.set(token, resolve));
    this.step({ type: "turn", lane, token });
    await granted;
    try {
      return await work();
    } finally {
      this.step({ type: "settled", lane, ok: true, now: this.now() });
    }
  }

  /** The one timer, at the core's next look; an earlier one armed already stands (its tick arms the next). */
  private arm(): void {
    if (!this.leading) return;
    const at = this.core.wakeAt(this.now());
    if (at === null || at >= this.timerAt) return;
    if (this.timer !== null) this.o.timers.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.o.timers.setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      // Lost leadership meanwhile: the new leader (or this one's alarm) takes over the deadlines.
      this.tick(at)
        .catch(() => undefined)
        .finally(() => this.arm());
    }, Math.max(0, at - this.now()));
  }

  // ---- the learner: every commander applies every decision --------------------------------

  private applied(d: Decision, slot: number): void {
    const leading = this.leading;
    this.step({ type: "applied", decision: d, slot, leading });
    // A follower keeps no runs: whatever it kept as leader would be stale by its next term.
    if (!leading) this.live.clear();
  }

  // ---- finished jobs: the store ---------------------------------------------------------
  //
  // Why a commander that skipped slots copies from the snapshot's author, rather than acceptors
  // keeping every slot until each commander has stored it: followers learn the log only when
  // asked, so a watermark would be held back by any idle commander, and a commander silent for
  // long must then copy from a peer anyway. Copying from the author needs no change to the
  // consensus core or the acceptors, and is sound because (1) a finished tree never changes
  // again, (2) the author's store was complete through the snapshot's slot when it took it (a
  // commander with a gap takes no snapshot: snapshotReady), and (3) its storage lasts, as an
  // acceptor's does. Until the copy is done this commander does not lead (lead()): a leader with
  // a gap would answer 404 for a kept job, and re-run it for its idempotency key.

  /** A job by id: running (memory) or finished and still kept (the store, unless expired on the log's clock). */
  private job(id: JobId): JobRecord | undefined {
    const live = this.state.job(id);
    if (live) return live;
    const row = this.o.finished.get(id);
    return row && !expired(row.retiredAt, this.state.appliedAt, this.retentionMs) ? row.record : undefined;
  }

  /** Every command of `slot` is applied: the store is complete through it (unless it has a gap), and expired jobs go. */
  private appliedSlot(slot: number): void {
    this.appliedThrough = slot;
    if (this.gap === null && slot > this.o.finished.completeThrough()) this.o.finished.setCompleteThrough(slot);
    const cutoff = retentionCutoff(this.state.appliedAt, this.retentionMs);
    if (cutoff - this.sweptTo >= this.retentionMs / SWEEP_SHARE) {
      void this.o.payloadHolds?.release(this.o.finished.expire(cutoff));
      this.sweptTo = cutoff;
    }
  }

  /** A snapshot through `through` was adopted: the jobs retired in the slots this store lacks come from its author. */
  private adopted(through: number, author: string | undefined): void {
    this.appliedThrough = through;
    const complete = this.o.finished.completeThrough();
    if (complete >= through) return;
    if (author === undefined) {
      // Taken before finished jobs moved to disk: every job it kept came out of it (restore), and
      // no store anywhere holds more; nothing to copy (and no complete peer to copy from).
      this.o.finished.setCompleteThrough(through);
      return;
    }
    this.gap = { after: this.gap?.after ?? complete, through, author };
    void this.fillGap().catch((error: unknown) => this.log.warn("copying finished jobs from a peer failed; lead() retries", { reason: errorMessage(error) }));
  }

  /**
   * Copies the gap's finished jobs, page by page, from the snapshot's author, or from any other
   * commander of the shard whose store is complete through the gap (one that is not refuses:
   * finishedBetween); resolves once this store is complete.
   */
  private fillGap(): Promise<void> {
    this.filling ??= (async () => {
      while (this.gap !== null) {
        const gap = this.gap;
        const peers = [...(this.o.peers?.() ?? new Map<string, FinishedJobsPeer>())].filter(([name]) => name !== this.o.name);
        // The author first: it held every job of the gap when it took the snapshot.
        peers.sort(([a], [b]) => Number(b === gap.author) - Number(a === gap.author));
        const failures: string[] = [];
        let cursor: StoreCursor | null = null;
        let copied = false;
        for (const [name, peer] of peers) {
          try {
            // Until a page comes back empty: a page is cut by bytes too, so a short one is not the last.
            // Every complete store pages alike (by slot, then id), so the next peer goes on from the cursor.
            for (;;) {
              const page = await peer.finishedBetween(gap.after, gap.through, cursor, GAP_PAGE);
              if (page.length === 0) break;
              // A job run again under its id and retired after the gap (its key's retention ended) is newer here.
              this.o.finished.put(page.filter((row) => (this.o.finished.get(row.id)?.slot ?? 0) <= row.slot));
              const last = page.at(-1)!;
              cursor = { slot: last.slot, id: last.id };
            }
            copied = true;
            break;
          } catch (error) {
            failures.push(`${name}: ${errorMessage(error)}`);
          }
        }
        if (!copied) {
          throw new PaxflowError(
            "store-incomplete",
            `commander ${this.o.name} lacks the finished jobs of slots ${gap.after + 1}..${gap.through} and no other commander ` +
              `could give them (${failures.join("; ") || "none is reachable from here"}); retry later`,
          );
        }
        // A newer snapshot adopted meanwhile widened the gap: go round again, from its author.
        if (this.gap === gap) {
          this.gap = null;
          this.o.finished.setCompleteThrough(this.appliedThrough);
          this.log.info("copied the finished jobs of skipped slots from a peer", { from: gap.author, after: gap.after, through: gap.through });
        }
      }
    })().finally(() => {
      this.filling = null;
    });
    return this.filling;
  }

  /**
   * For a peer filling its gap (fillGap): jobs retired in slots (after, through], by (slot, id),
   * at most `limit` and about GAP_PAGE_BYTES; empty once there are no more. Refused unless this
   * store is complete through `through`, so a copy never misses a job.
   */
  async finishedBetween(after: number, through: number, cursor: StoreCursor | null, limit: number): Promise<StoredJob[]> {
    const complete = this.o.finished.completeThrough();
    if (complete < through) {
      throw new PaxflowError("store-incomplete", `commander ${this.o.name} holds the finished jobs through slot ${complete} only, not through ${through}; retry later`);
    }
    const rows = this.o.finished.between(after, through, cursor, Math.min(Math.max(limit, 0), GAP_PAGE));
    // At least one row, however large (a page that carried none would end the copy early).
    let bytes = 0;
    const page = rows.findIndex((row) => (bytes += JSON.stringify(row.record).length) > GAP_PAGE_BYTES);
    return page < 0 ? rows : rows.slice(0, Math.max(1, page));
  }

  // ---- leadership -------------------------------------------------------------------------

  private onElected(): void {
    // Runs kept by an earlier term may have been overtaken by another leader's decisions.
    this.live.clear();
    this.step({ type: "elected", now: this.now() });
    // Resume from the whole log: lead() returns once what earlier leaders chose is applied.
    queueMicrotask(() =>
      void this.lead().then(
        () => this.step({ type: "resumed", now: this.now() }),
        () => undefined,
      ),
    );
  }

  /**
   * Campaigns if needed; after this the state reflects everything this leader decides, and its
   * store holds every finished job still kept (a gap is filled first: see fillGap). `toRead`: for
   * an answer read from the state (a job, its events, the list, whether a submit names a known
   * job), a leader idle past its read lease first has a no-op chosen, so that a commander deposed
   * without knowing it never answers "no such job" for one a newer leader took.
   */
  private async lead(options: { readonly toRead?: boolean } = {}): Promise<void> {
    await this.commander.lead({ confirm: options.toRead === true });
    if (this.gap !== null) await this.fillGap();
  }

  // ---- stepping jobs ----------------------------------------------------------------------

  /** A job's step (a task of its lane): its generator fed what the log chose, and what it decides proposed. */
  private async advanceJob(id: JobId): Promise<void> {
    const job = this.state.job(id);
    if (!job || job.status !== "running") return;
    const drafts = advance(await this.live.seed(job, () => this.ancestry(job)), this.context());
    if (drafts.length > 0) await this.propose(drafts);
    // The kept run was fed this step's inline results: if the log chose another result for one
    // of those calls (a late answer to an earlier attempt), the run must be rebuilt from the log.
    if (!this.inlineResultsTaken(id, drafts)) this.live.drop(id);
  }

  /** Whether every inline result among `drafts` is the result the state holds for its call. */
  private inlineResultsTaken(id: JobId, drafts: readonly (Draft | Decision)[]): boolean {
    const job = this.state.job(id);
    return drafts.every((d) => d.type !== "call.result" || d.node !== INLINE_NODE || takenFrom(job?.calls[d.seq]) === INLINE_NODE);
  }

  /** (job, input) of the job and every ancestor, root first: the wait-cycle check's chain. */
  private async ancestry(job: JobRecord): Promise<Call[]> {
    const chain: Call[] = [{ kind: "job", target: jobRef(job.name, job.version), input: await this.o.payloads.open(job.input) }];
    for (let at = job.parent && this.state.job(job.parent.job); at; at = at.parent && this.state.job(at.parent.job)) {
      chain.unshift({ kind: "job", target: jobRef(at.name, at.version), input: await this.o.payloads.open(at.input) });
    }
    return chain;
  }

  private context(): AdvanceContext {
    return {
      registry: this.o.registry,
      now: this.now(),
      by: this.id,
      place: (request) => this.o.scheduler.place(request),
      runInline: (stage, input) => this.runInline(stage, input),
      ...(this.o.maxCallsPerJob === undefined ? {} : { maxCallsPerJob: this.o.maxCallsPerJob }),
      ...(this.o.maxJobDepth === undefined ? {} : { maxJobDepth: this.o.maxJobDepth }),
      verify: (call, node, earlierThisPass) => verifyReasonFor(this.core.recovery(), call, node, earlierThisPass),
      otherCode: (stage, digest) => bundlingOther(this.state, stage, digest),
    };
  }

  private runInline(stage: string, input: Value): InlineRun {
    const startedAt = this.now();
    let outcome: Outcome;
    try {
      // `input` is the job's own value, not one decoded from a payload: frozen, it is a copy, so
      // the job may still change its object after the call (as it may when the call runs elsewhere).
      const freezeInput = this.o.freezeInputs ?? false;
      outcome = { ok: true, value: runStage(this.o.registry.stages.get(stage)!, freezeInput ? structuredClone(input) : input, { freezeInput }) };
    } catch (error) {
      outcome = { ok: false, error: { name: error instanceof Error ? error.name : "Error", message: errorMessage(error) } };
    }
    return { outcome, startedAt, finishedAt: this.now() };
  }

  /**
   * Proposes a step's decisions in order, at most MAX_DECISIONS_PER_PROPOSAL at a time, each part
   * once the one before is applied: a step that decides thousands (a fan-out, a chain of inline
   * calls) is admitted in parts rather than refused whole by MAX_PENDING, and holds few of the
   * commander's waiters at once. A leader that fails between parts leaves a prefix chosen, which
   * the next step (or leader) takes from the log like any other.
   */
  private async propose(drafts: readonly (Draft | Decision)[]): Promise<void> {
    const sealed = await Promise.all(drafts.map((d) => this.seal(d)));
    // Before the log can name a blob, its tree holds it: no commander deletes it from then on.
    await this.o.payloadHolds?.hold(sealed, (id) => this.job(id));
    // Which run of its job each decision belongs to (decisionId): a job accepted in this very step has no record yet.
    const runs = new Map(sealed.flatMap((d) => (d.type === "job.accepted" ? [[d.job, d.at] as const] : [])));
    const runOf = (d: Decision) => ("job" in d ? (runs.get(d.job) ?? this.job(d.job)?.acceptedAt) : undefined);
    const commands: SubmitCommand[] = sealed.map((d) => ({ id: decisionId(d, runOf(d)), data: d }));
    const part = Math.max(1, Math.min(MAX_DECISIONS_PER_PROPOSAL, this.commander.maxPending));
    for (let at = 0; at < commands.length; ) {
      let end = Math.min(at + part, commands.length);
      // A call's dispatch and what ran of it inline go in one part: an inline attempt chosen without
      // its result would have no deadline to give up on it.
      while (end < commands.length && !startsGroup(sealed[end]!)) end++;
      await this.commander.submit(commands.slice(at, end));
      at = end;
    }
  }

  /** Values become Payloads (large ones are written to R2 before the log names them). */
  private async seal(d: Draft | Decision): Promise<Decision> {
    const seal = (v: unknown) => this.o.payloads.seal(v as Payload);
    switch (d.type) {
      case "job.accepted":
      case "call.dispatched":
        return { ...d, input: await seal(d.input) } as Decision;
      case "call.result":
        return d.outcome.ok ? ({ ...d, outcome: { ok: true, value: await seal(d.outcome.value) } } as Decision) : (d as Decision);
      case "job.finished":
        return d.outcome.ok ? ({ ...d, outcome: { ok: true, output: await seal(d.outcome.output) } } as Decision) : (d as Decision);
      default:
        return d as Decision;
    }
  }

  // ---- the dispatcher ---------------------------------------------------------------------

  private async send({ decision: d, deadlineAt }: Send): Promise<void> {
    try {
      if (d.node === WORKER_NODE) {
        const sentAt = this.now();
        const run = await this.o.backends.worker(d.stage, d.input, d.digest);
        this.step({ type: "answered", attempts: [d] });
        await this.offer([{ node: d.node, job: d.job, seq: d.seq, attempt: d.attempt, outcome: run.outcome, ...workerRunSpan(run, sentAt, this.now()) }]);
        return;
      }
      const url = this.state.node(d.node)?.spec.url;
      if (!url) throw new PaxflowError("invalid-argument", `node ${d.node} has no URL`);
      await this.o.backends.sendToRunner({ id: d.node, url }, { job: d.job, seq: d.seq, attempt: d.attempt, stage: d.stage, input: d.input, deadlineAt, ...(d.digest === undefined ? {} : { digest: d.digest }) });
    } catch (error) {
      const code = errorCode(error);
      if (code === "runner-busy") return void this.step({ type: "send-busy", send: { decision: d, deadlineAt }, now: this.now() });
      const ending = code === "runner-refused" ? "refused" : "silent";
      this.step({ type: "send-failed", attempt: d, why: `${d.node} did not take the call: ${errorMessage(error)}`, ending });
    }
  }

  /** The earliest deadline of a call in flight, or null: when the Durable Object's alarm should wake us. */
  nextDeadline(): number | null {
    return this.core.nextDeadline();
  }

  /** Handles every expired deadline, silent runner, failing node and straggler (called by the timer and by the Durable Object alarm). */
  async tick(due?: number): Promise<void> {
    if (!this.leading) {
      if (this.state.runningJobs().length === 0) return;
      await this.lead(); // the alarm of a fresh incarnation: take over, resumed on election
    }
    this.step({ type: "tick", now: this.now(), ...(due === undefined ? {} : { due }) });
    await this.pump();
  }

  /** Results from any backend: into the log (the state keeps the first per call), in one proposal: one Paxos round however many a runner sent at once. */
  private async offer(offers: readonly ResultOffer[]): Promise<void> {
    if (offers.length === 0) return;
    const at = this.now();
    await this.propose(offers.map((offer) => ({ type: "call.result", ...offer, at })));
  }

  // ---- JobPlane: what the API asks ---------------------------------------------------------

  async submitJob(request: SubmitJobRequest): Promise<SubmitJobReply> {
    await this.lead({ toRead: true });
    // A finished job answers for its idempotency key for as long as it is kept (JOB_RETENTION).
    // A name starts its latest version here; "name@version" that version (docs/versions.md).
    const definition = findJob(this.o.registry, request.name);
    const asked = splitRef(request.name);
    const name = definition?.name ?? asked.name;
    const version = definition?.version ?? asked.version ?? 1;
    const existing = this.job(request.id);
    if (existing) {
      // Submitted again by name, the job is the one already there whatever version it runs.
      const otherJob = existing.name !== name || (asked.version !== undefined && (existing.version ?? 1) !== asked.version);
      if (otherJob || !samePayload(existing.input, request.input)) {
        throw new PaxflowError("idempotency-conflict", `job ${request.id} already exists for this idempotency key with another ${otherJob ? "job name" : "input"}`);
      }
      return { created: false, job: await this.viewAfter(request.id, request.waitMs ?? 0) };
    }
    // Running jobs live in memory: past the bound a new one waits for others to finish (sub-jobs of running ones are always taken).
    const maxRunning = this.o.maxRunningJobs ?? DEFAULT_MAX_RUNNING_JOBS;
    if (this.state.runningCount >= maxRunning) {
      throw new PaxflowError("too-many-running", `shard ${this.o.shard} runs ${this.state.runningCount} jobs and MAX_RUNNING_JOBS is ${maxRunning}: retry once some finish`);
    }
    // The code it is accepted on: a commander with other code for this ref fails it rather than run it (advance.ts).
    const code = codeOf(this.o.registry, "job", jobRef(name, version));
    const accepted: Decision = {
      type: "job.accepted",
      job: request.id,
      name,
      version,
      ...code,
      input: request.input,
      at: this.now(),
      ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
      submittedBy: request.submittedBy,
    };
    const created = await this.exclusive(request.id, async () => {
      if (this.job(request.id)) return false; // a concurrent submit with the same id got there first
      const input = await this.o.payloads.open(request.input);
      // Advance a job that is not in the state yet: accepted and its first steps share a slot.
      const run = definition && new JobRun(definition, input);
      const ref = jobRef(name, version);
      const seed: JobSeed = { id: request.id, name: ref, ...code, input, calls: [], outputs: new Map(), ancestry: [{ kind: "job", target: ref, input }], ...(run ? { run } : {}) };
      const generation = this.live.generation;
      const drafts = [accepted, ...advance(seed, this.context())];
      if (this.o.broken?.answerSubmitBeforeChosen) {
        this.state.apply(accepted);
        void this.propose(drafts).catch(() => undefined);
        return true;
      }
      await this.propose(drafts);
      // The leader keeps the job's generator where this first step left it, if the log took the step as decided.
      if (run && this.leading && this.inlineResultsTaken(request.id, drafts)) this.live.adopt({ ...seed, run }, this.state.job(request.id), generation);
      return true;
    });
    return { created, job: await this.viewAfter(request.id, request.waitMs ?? 0) };
  }

  async getJob(id: JobId, viewer: Viewer, waitMs = 0): Promise<JobView | null> {
    await this.lead({ toRead: true });
    if (!this.visible(id, viewer)) return null;
    return this.viewAfter(id, waitMs);
  }

  /** The job, if the viewer may see it (tenancy.ts); checked before any wait, so a wait cannot tell either. */
  private visible(id: JobId, viewer: Viewer): JobRecord | undefined {
    const job = this.job(id);
    return job && mayAccess(job, viewer) ? job : undefined;
  }

  private async viewAfter(id: JobId, waitMs: number): Promise<JobView> {
    const until = this.now() + Math.min(waitMs, this.o.maxWaitMs);
    while (this.state.job(id)?.status === "running" && this.now() < until) {
      await this.signals.wait(`job:${id}`, until - this.now(), this.o.timers);
    }
    const job = this.job(id);
    if (!job) throw new PaxflowError("not-found", `job ${id} was forgotten (JOB_RETENTION)`);
    return this.view(job);
  }

  private view(job: JobRecord): JobView {
    const { events: _events, ...rest } = job;
    return { ...rest, shard: this.o.shard };
  }

  async jobEvents(id: JobId, viewer: Viewer, after: number, waitMs: number): Promise<JobEventsReply | null> {
    await this.lead({ toRead: true });
    const until = this.now() + Math.min(waitMs, this.o.maxWaitMs);
    for (;;) {
      const job = this.visible(id, viewer);
      if (!job) return null;
      const events = job.events.filter((e) => e.n > after);
      if (events.length > 0 || job.status !== "running" || this.now() >= until) return { events, status: job.status };
      await this.signals.wait(`job:${id}`, until - this.now(), this.o.timers);
    }
  }

  async cancelJob(id: JobId, viewer: Viewer, reason: string): Promise<JobView | null> {
    await this.lead();
    const job = this.visible(id, viewer);
    if (!job) return null;
    if (job.status === "running") await this.propose([{ type: "job.cancelled", job: id, at: this.now(), reason, by: cancelledBy(viewer) }]);
    return this.view(this.job(id)!);
  }

  async listJobs(query: ListJobsQuery): Promise<ListJobsReply> {
    await this.lead({ toRead: true });
    // Running trees from memory, finished ones from the store (each already a page of at most `limit`).
    const running = [...this.state.allJobs()].filter((job) => listed(job, query)).map(summaryOf);
    const finished = this.o.finished.list(query, retentionCutoff(this.state.appliedAt, this.retentionMs));
    const jobs: JobSummary[] = [...running, ...finished].sort(newestFirst).slice(0, query.limit).map((job) => ({ ...job, shard: this.o.shard }));
    return { jobs };
  }

  /** `signedAt`: the runner's signature timestamp on this registration (it must be newer than the node's current one). */
  async registerNode(spec: NodeSpec, signedAt: number): Promise<NodeView> {
    await this.lead();
    return this.exclusive(REGISTRATIONS, async () => {
      const admission = admitRegistration(spec, this.state.node(spec.id), signedAt, this.state.allNodes().length, this.o.maxNodes ?? DEFAULT_MAX_NODES);
      if (!admission.ok) throw new PaxflowError(admission.code, admission.message);
      if (!admission.current) await this.propose([{ type: "node.registered", node: spec, at: this.now(), signedAt }]);
      const node = this.nodeView(spec.id);
      // Another commander's registration of the node, newer than this one, was chosen first.
      if (node?.signedAt !== signedAt) throw new PaxflowError("stale-registration", `a newer registration of "${spec.id}" came first`);
      return node;
    });
  }

  /** Removes a registered node (DELETE /v1/nodes/:id); null when this shard does not know it. */
  async removeNode(id: NodeId, reason: string): Promise<NodeView | null> {
    await this.lead();
    const view = this.nodeView(id);
    if (!view) return null;
    await this.propose([{ type: "node.removed", node: id, at: this.now(), reason }]);
    return view;
  }

  async heartbeat(id: NodeId, load: NodeLoad): Promise<{ status: NodeStatus; reason?: string } | null> {
    await this.lead();
    const heard = this.core.heard(id, load, this.now());
    if (!heard) return null;
    if (heard.status === "quarantined") return { status: heard.status, ...(heard.reason === undefined ? {} : { reason: heard.reason }) };
    const url = this.state.node(id)?.spec.url;
    if (heard.probe && url) {
      // It answers again: ask for its load and traffic now, and re-rank it from that.
      const probed = await this.o.backends.probeRunner({ id, url }).catch(() => null);
      if (probed) await this.propose([{ type: "node.back", node: id, at: this.now(), load: probed }]);
    }
    return { status: this.state.node(id)!.status };
  }

  async quarantineNode(id: NodeId, reason: string): Promise<void> {
    await this.lead();
    const node = this.state.node(id);
    if (!node || node.status === "quarantined") return;
    await this.propose([{ type: "node.quarantined", node: id, at: this.now(), reason }]);
  }

  async offerResult(offer: ResultOffer): Promise<ResultOfferReply> {
    return (await this.offerResults([offer]))[0]!;
  }

  async offerResults(offers: readonly ResultOffer[]): Promise<ResultOfferReply[]> {
    await this.lead();
    const before = offers.map((offer) => {
      const job = this.job(offer.job);
      return { job, early: replyBeforeProposing(job, offer) };
    });
    // Room on the runner now, for its next calls: these are out of its queue whatever the log makes of them.
    this.step({ type: "answered", attempts: offers });
    await this.offer(offers.filter((_, i) => before[i]!.early === null));
    return offers.map((offer, i) => {
      const { job, early } = before[i]!;
      return early ?? replyAfterProposing(this.job(offer.job) ?? job!, offer, quarantineOf(this.state, offer.node));
    });
  }

  /** The built-in backends first (always up), then the registered runners. */
  async listNodes(): Promise<NodeView[]> {
    await this.lead();
    const builtins: NodeView[] = this.o.builtins.map((spec) => ({ spec, status: "up", since: 0, registeredAt: 0, dispatched: 0 }));
    return [...builtins, ...this.state.allNodes().map((n) => this.nodeView(n.spec.id)!)];
  }

  private nodeView(id: NodeId): NodeView | undefined {
    const node = this.state.node(id);
    if (!node) return undefined;
    const beat = this.core.heartbeats.get(id);
    return { ...node, ...(beat ? { lastHeartbeat: beat } : {}) };
  }

  /** What the scheduler has learned: load forecast, node health and statistics (for /v1/cluster). */
  scheduling() {
    const now = this.now();
    return { forecast: this.o.scheduler.forecast(now), nodes: this.o.scheduler.suspicions(now), stats: this.o.scheduler.stats(now) };
  }

  async metrics(): Promise<JobsMetrics> {
    await this.lead();
    // Finished jobs and their calls counted by the store.
    const jobs: Record<JobStatus, number> = { running: 0, ...this.o.finished.counts() };
    const calls = new Map<string, { node: NodeId; outcome: CallCount["outcome"]; count: number }>();
    for (const { node, outcome, count } of this.o.finished.callCounts()) calls.set(callKey(node, outcome), { node, outcome, count });
    for (const job of this.state.allJobs()) {
      jobs[job.status]++;
      callTally(job, calls);
    }
    const now = this.now();
    return {
      jobs,
      calls: [...calls.values()],
      counters: { ...this.state.counters },
      suspicions: this.o.scheduler.suspicions(now).flatMap((s) => (s.verdict === "healthy" ? [] : [{ node: s.node, verdict: s.verdict }])),
      loads: [...this.core.heartbeats].map(([node, beat]) => ({ node, queue: beat.load.queue, inFlight: beat.load.inFlight })),
    };
  }

  async jobStats(): Promise<JobsStats> {
    let retained = Object.values(this.o.finished.counts()).reduce((a, b) => a + b, 0);
    for (const _ of this.state.allJobs()) retained++;
    return { counters: { ...this.state.counters }, running: this.state.runningJobs().length, retained };
  }
}
