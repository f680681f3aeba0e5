/**
 * The commander's job side: learner (applies the log to a JobsState), scheduler (advance +
 * placement) and dispatcher (sends calls to backends, watches deadlines). Every decision goes
 * through the log first; the driver acts on a decision only once it is applied, so a commander
 * that dies between deciding and acting loses nothing: its successor sees the decision in the
 * log and finishes the work (see resume()).
 */
import type { Value } from "../../core/codec.ts";
import { type AdvanceContext, DEFAULT_MAX_RUNNING_JOBS, type Draft, type InlineRun, type JobSeed, advance } from "../../core/jobs/advance.ts";
import { AttemptWatch } from "../../core/jobs/attempt-watch.ts";
import { claimsDecision } from "../../core/jobs/decision-shape.ts";
import { type OpenAttempt, OpenAttempts, attemptKey } from "../../core/jobs/open-attempts.ts";
import {
  type Decision,
  INLINE_NODE,
  type JobId,
  type NodeId,
  type NodeLoad,
  type NodeSpec,
  WORKER_NODE,
  decisionId,
  decodeDecision,
} from "../../core/jobs/decisions.ts";
import { DEFAULT_MAX_NODES, DEFAULT_NODE_EXPIRY_MS, type Hearing, admitRegistration, expiredNodes } from "../../core/jobs/nodes.ts";
import type { Payload } from "../../core/jobs/payload.ts";
import {
  DEFAULT_STAGE_TIMEOUT_MS,
  type Ending,
  type RecoveryContext,
  SPECULATIVE,
  attemptEnded,
  attemptTimeoutMs,
  awaited,
  backupOf,
  comesBack,
  drains,
  nextAttempt,
  verifyReasonFor,
} from "../../core/jobs/recovery.ts";
import { type VerifyPolicy, countable } from "../../core/jobs/verification.ts";
import { type PlacementRequest, speedFor } from "../../core/jobs/placement.ts";
import type { LearningScheduler } from "../../core/sched/scheduler.ts";
import { DEFAULT_JOB_RETENTION_MS, expired, retentionCutoff, retiredRows } from "../../core/jobs/retention.ts";
import { type JobRecord, type JobStatus, JobsState, type JobsSnapshot, type NodeStatus, outstanding } from "../../core/jobs/state.ts";
import { type Viewer, cancelledBy, mayAccess } from "../../core/jobs/tenancy.ts";
import type { Call } from "../../core/sdk/effects.ts";
import type { Registry } from "../../core/sdk/registry.ts";
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

export interface BrokenRules {
  /** A call that has its result takes a later one too (JobsStateOptions.acceptSecondResult). */
  readonly acceptSecondResult?: boolean;
  /** A commander that takes over does not arm the deadlines of the calls it inherited. */
  readonly forgetDeadlinesOnTakeover?: boolean;
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

/** While remote calls are out, the leader looks for stragglers and failing nodes this often. */
const WATCH_MS = 250;

/**
 * The lock key registrations share (exclusive() keys are job ids otherwise, which never look
 * like this): one at a time, so each counts the nodes the one before it added (MAX_NODES).
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
  readonly state: JobsState;
  readonly commander: CommanderDriver;
  private readonly o: JobDriverOptions;
  /**
   * One proposal per job at a time (decided from the state as it was, it must be applied before
   * the next is decided): the tail of each job's queue of proposals.
   */
  private readonly locks = new Map<JobId, Promise<void>>();
  /** Jobs that changed while busy, or were poked: advance once free. */
  private readonly dirty = new Set<JobId>();
  private advanceScheduled = false;
  /** Remote attempts with no result yet, and their deadlines. */
  private readonly open = new OpenAttempts();
  private deadlineTimer: unknown = null;
  /** Wakes the leader when the next silent runner would expire. */
  private expiryTimer: unknown = null;
  /** When this incarnation began to lead: heartbeats before then went to another commander. */
  private leadingSince = 0;
  private readonly signals = new Signals();
  private readonly heartbeats = new Map<NodeId, { at: number; load: NodeLoad }>();
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
  /** The calls each step looks at for a missing attempt (attempt-watch.ts). */
  private readonly watch = new AttemptWatch();

  constructor(options: JobDriverOptions) {
    this.o = options;
    this.live = new LiveJobs(options.registry, options.payloads);
    // Finished trees leave memory as they end, for the store (see applied()).
    this.state = new JobsState({ retainFinished: 0, ...(options.broken?.acceptSecondResult ? { acceptSecondResult: true } : {}) });
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
        this.state.restore(adopted);
        // Taken before finished jobs moved to disk: they come out of the snapshot into the store,
        // their retention counted from their end (such a snapshot has no log clock of its own).
        for (const tree of this.state.releaseFinished()) this.o.finished.put(retiredRows([tree], through, tree[0]?.finishedAt ?? this.state.appliedAt));
        this.live.clear();
        this.watch.everything();
        this.reopen();
        this.adopted(through, adopted.author);
      },
      snapshotReady: () => this.gap === null,
    };
    this.commander = options.commander(machine, () => this.onElected());
    for (const spec of options.builtins) options.scheduler.nodeUp(spec, options.timers.now());
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
    if (this.deadlineTimer !== null) this.o.timers.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    if (this.expiryTimer !== null) this.o.timers.clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    this.open.clear();
    this.o.payloadHolds?.close();
    this.commander.close();
  }

  // ---- the learner: every commander applies every decision --------------------------------

  private applied(d: Decision, slot: number): void {
    const effect = this.state.apply(d);
    // Written before anyone waiting on the job is woken: they read it from the store.
    if (this.state.retiredByLastApply.length > 0) this.o.finished.put(retiredRows(this.state.retiredByLastApply, slot, this.state.appliedAt));
    for (const { job, seq } of this.state.settledByLastApply) this.live.changed(job, seq);
    this.watch.applied(d, effect);
    if (effect.effect === "none") return;
    this.learn(d);
    if (effect.effect === "job") for (const node of effect.quarantined ?? []) this.quarantined(node, d.at);
    if (d.type === "node.quarantined") this.quarantined(d.node, d.at);
    if (d.type === "node.removed") this.removed(d.node, d.reason);
    if (d.type === "node.registered") this.armExpiry();
    if ("job" in d) this.signals.poke(`job:${d.job}`);
    // A follower keeps no runs: whatever it kept as leader would be stale by its next term.
    if (!this.leading) this.live.clear();
    if (effect.effect === "job") {
      for (const job of [effect.job, ...(effect.ended ?? [])]) {
        this.signals.poke(`job:${job}`);
        // An ended job needs no generator, waits on no attempt, and needs no more.
        if (this.state.job(job)?.status !== "running") {
          this.live.drop(job);
          this.open.closeJob(job);
          this.watch.forget(job);
        }
      }
    }
    switch (d.type) {
      case "call.dispatched":
        if (d.node !== INLINE_NODE) this.track(d);
        if (this.leading && d.by === this.id && d.node !== INLINE_NODE) void this.send(d);
        break;
      case "call.result":
      case "call.timeout":
        this.open.close(d.job, d.seq, d.attempt);
        break;
    }
    if (effect.effect === "job" && this.leading) this.poke(effect.job);
  }

  /** What the scheduler learns from: every applied decision, on every commander (so a successor knows it too). */
  private learn(d: Decision): void {
    const scheduler = this.o.scheduler;
    switch (d.type) {
      case "node.registered":
        if (this.state.distrusted(d.node.id)) scheduler.nodeDown(d.node.id, d.at);
        else scheduler.nodeUp(d.node, d.at);
        return;
      case "node.back": {
        const spec = this.state.node(d.node)?.spec;
        if (spec) scheduler.nodeUp(spec, d.at);
        scheduler.heartbeat(d.node, d.load, d.at);
        return;
      }
      case "node.unresponsive":
        scheduler.nodeDown(d.node, d.at);
        return;
      case "node.removed":
        scheduler.nodeRemoved(d.node, d.at);
        return;
      case "call.dispatched": {
        const stage = this.o.registry.stages.get(d.stage);
        if (!stage) return;
        scheduler.dispatched({
          key: attemptKey(d.job, d.seq, d.attempt),
          call: `${d.job}/${d.seq}`,
          stage,
          inputBytes: d.input.bytes,
          node: d.node,
          predicted: d.predicted,
          at: d.at,
          speculative: d.reason.startsWith(SPECULATIVE),
        });
        return;
      }
      case "call.result":
        scheduler.completed({
          key: attemptKey(d.job, d.seq, d.attempt),
          ok: d.outcome.ok,
          startedAt: d.startedAt,
          finishedAt: d.finishedAt,
          outputBytes: d.outcome.ok ? d.outcome.value.bytes : 0,
          at: d.at,
        });
        return;
      case "call.timeout":
        scheduler.timedOut(attemptKey(d.job, d.seq, d.attempt), d.at);
        return;
      default:
        return;
    }
  }

  /**
   * A node caught disagreeing with the majority: no new work, and its calls in flight go
   * elsewhere now (its answers would be refused anyway).
   */
  private quarantined(node: NodeId, at: number): void {
    this.o.scheduler.nodeDown(node, at);
    this.log.warn("node quarantined", { node, reason: this.state.node(node)?.quarantine?.reason ?? "it disagreed with the majority" });
    this.moveCallsOff(node, `${node} is quarantined`, "refused");
  }

  /** A node left the shard (deleted, or silent too long): its calls in flight go elsewhere, as for an unresponsive node. */
  private removed(node: NodeId, reason: string): void {
    this.heartbeats.delete(node);
    this.log.warn("node removed", { node, reason });
    this.moveCallsOff(node, `${node} was removed (${reason})`, "silent");
  }

  /** The leader gives up on every attempt out on `node`, now rather than at their deadlines. */
  private moveCallsOff(node: NodeId, why: string, ending: Exclude<Ending, "orphaned">): void {
    if (!this.leading) return;
    const out = this.open.onNode(node);
    queueMicrotask(() => void Promise.all(out.map((a) => this.expire(a, why, ending))));
  }

  /** After a snapshot: the attempts still waiting for a result, and the nodes as the state has them. */
  private reopen(): void {
    for (const node of this.state.allNodes()) {
      if (node.status === "up") this.o.scheduler.nodeUp(node.spec, node.since);
      else this.o.scheduler.nodeDown(node.spec.id, node.since);
    }
    this.open.clear();
    for (const id of this.state.runningJobs()) {
      const job = this.state.job(id)!;
      for (const call of job.calls) {
        for (const last of awaited(call)) {
          if (last.node === INLINE_NODE) continue;
          this.track({ job: id, seq: call.seq, stage: call.target, attempt: last.attempt, node: last.node, at: last.dispatchedAt, predicted: last.predicted });
        }
      }
    }
  }

  /** Starts the deadline of an attempt out on a backend (applied just now, or found in the state after a snapshot). */
  private track(d: Pick<Extract<Decision, { type: "call.dispatched" }>, "job" | "seq" | "stage" | "attempt" | "node" | "at" | "predicted">): void {
    const stage = this.o.registry.stages.get(d.stage);
    const spec = this.nodeSpec(d.node);
    const speed = stage && spec ? speedFor(spec.speed, { ...stage, ref: d.stage }) : 1;
    const timeoutMs = attemptTimeoutMs(stage?.timeoutMs ?? DEFAULT_STAGE_TIMEOUT_MS, speed, d.predicted);
    this.open.add({
      job: d.job,
      seq: d.seq,
      attempt: d.attempt,
      node: d.node,
      deadline: d.at + timeoutMs,
      runMs: d.predicted.runMs,
    });
    this.armDeadlines();
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
    this.leadingSince = this.now();
    // Runs kept by an earlier term may have been overtaken by another leader's decisions.
    this.live.clear();
    this.watch.everything();
    // Resume from the whole log: lead() returns once what earlier leaders chose is applied.
    queueMicrotask(() => void this.lead().then(() => this.resume(), () => undefined));
  }

  /**
   * After a takeover: calls that a previous incarnation sent inline or to the stage Worker died
   * with it, so they go out again now; calls on runners keep their deadlines (the runner
   * answers the API, which finds us). Then every running job is advanced from the log.
   */
  private async resume(): Promise<void> {
    const redo: OpenAttempt[] = [];
    const running = this.state.runningJobs();
    for (const jobId of running) {
      const job = this.state.job(jobId)!;
      for (const call of job.calls) {
        for (const last of awaited(call)) {
          const open = this.open.get(jobId, call.seq, last.attempt);
          if (last.by !== this.id && (last.node === INLINE_NODE || last.node === WORKER_NODE)) {
            redo.push(open ?? { job: jobId, seq: call.seq, attempt: last.attempt, node: last.node, deadline: 0, runMs: 0 });
          }
        }
      }
    }
    for (const attempt of redo) await this.expire(attempt, "dispatched by a commander incarnation that is gone", "orphaned");
    for (const jobId of running) this.poke(jobId);
    if (!this.o.broken?.forgetDeadlinesOnTakeover) this.armDeadlines();
    this.armExpiry();
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

  // ---- the scheduler ----------------------------------------------------------------------

  private poke(job: JobId): void {
    this.dirty.add(job);
    if (this.advanceScheduled) return;
    this.advanceScheduled = true;
    queueMicrotask(() => {
      this.advanceScheduled = false;
      for (const id of [...this.dirty]) {
        if (this.locks.has(id)) continue;
        this.dirty.delete(id);
        void this.advanceJob(id);
      }
    });
  }

  /** Runs `work` once every earlier proposal for this job has settled. */
  private async exclusive<T>(id: JobId, work: () => Promise<T>): Promise<T> {
    const before = this.locks.get(id) ?? Promise.resolve();
    let release!: () => void;
    const tail = before.then(() => new Promise<void>((resolve) => (release = resolve)));
    this.locks.set(id, tail);
    await before;
    try {
      return await work();
    } finally {
      release();
      if (this.locks.get(id) === tail) this.locks.delete(id);
      if (this.dirty.has(id)) this.poke(id);
    }
  }

  private async advanceJob(id: JobId): Promise<void> {
    const job = this.state.job(id);
    if (!this.leading || !job || job.status !== "running" || this.locks.has(id)) return;
    await this.exclusive(id, async () => {
      const current = this.state.job(id);
      if (!current || current.status !== "running") return;
      try {
        // Calls that cannot get (or agree on) a result with the attempts they have out: another node first.
        const more = this.missingAttempts(current);
        const drafts = more.length > 0 ? more : advance(await this.live.seed(current, () => this.ancestry(current)), this.context());
        if (drafts.length > 0) await this.propose(drafts);
        // The kept run was fed this step's inline results: if the log chose another result for one
        // of those calls (a late answer to an earlier attempt), the run must be rebuilt from the log.
        if (!this.inlineResultsTaken(id, drafts)) this.live.drop(id);
      } catch (error) {
        // Its run may have gone ahead of what was chosen: the next step rebuilds it from the log.
        this.live.drop(id);
        // Not leader any more, or the quorum is away: the next leader (or the next poke) retries.
        this.log.warn("advancing the job failed; the next leader or poke retries", { job: id, trace: this.traceOf(id), reason: errorMessage(error) });
      }
    });
  }

  /** Whether every inline result among `drafts` is the result the state holds for its call. */
  private inlineResultsTaken(id: JobId, drafts: readonly (Draft | Decision)[]): boolean {
    const job = this.state.job(id);
    return drafts.every((d) => d.type !== "call.result" || d.node !== INLINE_NODE || job?.calls[d.seq]?.node === INLINE_NODE);
  }

  /** (job, input) of the job and every ancestor, root first: the wait-cycle check's chain. */
  private async ancestry(job: JobRecord): Promise<Call[]> {
    const chain: Call[] = [{ kind: "job", target: job.name, input: await this.o.payloads.open(job.input) }];
    for (let at = job.parent && this.state.job(job.parent.job); at; at = at.parent && this.state.job(at.parent.job)) {
      chain.unshift({ kind: "job", target: at.name, input: await this.o.payloads.open(at.input) });
    }
    return chain;
  }

  private context(): AdvanceContext {
    return {
      registry: this.o.registry,
      now: this.now(),
      by: this.id,
      place: (request) => this.place(request),
      runInline: (stage, input) => this.runInline(stage, input),
      ...(this.o.maxCallsPerJob === undefined ? {} : { maxCallsPerJob: this.o.maxCallsPerJob }),
      ...(this.o.maxJobDepth === undefined ? {} : { maxJobDepth: this.o.maxJobDepth }),
      verify: (call, node, earlierThisPass) => verifyReasonFor(this.recovery(), call, node, earlierThisPass),
    };
  }

  /**
   * The next attempt of a stage call that cannot get a result with the attempts it has out: a
   * verified call whose two answers differ (a third node decides) or whose answer came from a
   * node since quarantined; any call whose every attempt ended without a result (its next
   * dispatch was refused, say, because its node was quarantined in between).
   */
  private missingAttempts(job: JobRecord): (Draft | Decision)[] {
    // One call at a time: the next one's attempt numbers follow from the state once this is applied.
    const call = this.watch.firstNeeding(job, this.state);
    if (!call) return [];
    const answers = countable(call.answers ?? [], (n) => this.state.distrusted(n));
    const why =
      answers.length > 1
        ? `the answers of ${answers.map((a) => a.node).join(" and ")} differed (another node decides)`
        : call.answers === undefined
          ? "every attempt ended without a result"
          : "a verifying attempt ended without an answer";
    return [nextAttempt(this.recovery(), job, call, this.now(), null, why)];
  }

  private place(request: Omit<PlacementRequest, "inlineMaxMs">) {
    return this.o.scheduler.place(request);
  }

  private runInline(stage: string, input: Value): InlineRun {
    const startedAt = this.now();
    let outcome: Outcome;
    try {
      outcome = { ok: true, value: this.o.registry.stages.get(stage)!.run(input) };
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

  private nodeSpec(id: NodeId): NodeSpec | undefined {
    return this.o.builtins.find((b) => b.id === id) ?? this.state.node(id)?.spec;
  }

  private async send(d: Extract<Decision, { type: "call.dispatched" }>): Promise<void> {
    try {
      if (d.node === WORKER_NODE) {
        const run = await this.o.backends.worker(d.stage, d.input);
        await this.offer({ node: d.node, job: d.job, seq: d.seq, attempt: d.attempt, ...run });
        return;
      }
      const url = this.state.node(d.node)?.spec.url;
      if (!url) throw new PaxflowError("invalid-argument", `node ${d.node} has no URL`);
      const open = this.open.get(d.job, d.seq, d.attempt);
      await this.o.backends.sendToRunner({ id: d.node, url }, {
        job: d.job,
        seq: d.seq,
        attempt: d.attempt,
        stage: d.stage,
        input: d.input,
        deadlineAt: open?.deadline ?? d.at + DEFAULT_STAGE_TIMEOUT_MS,
      });
    } catch (error) {
      const open = this.open.get(d.job, d.seq, d.attempt);
      if (open) await this.expire(open, `${d.node} did not take the call: ${errorMessage(error)}`, errorCode(error) === "runner-refused" ? "refused" : "silent");
    }
  }

  private armDeadlines(): void {
    if (!this.leading) return;
    if (this.deadlineTimer !== null) this.o.timers.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    const deadline = this.nextDeadline();
    if (deadline === null) return;
    // Remote calls are out: look again soon for stragglers and failing nodes, not only at deadlines.
    const next = Math.min(deadline, this.now() + WATCH_MS);
    this.deadlineTimer = this.o.timers.setTimeout(() => {
      this.deadlineTimer = null;
      // Lost leadership meanwhile: the new leader (or this one's alarm) takes over the deadlines.
      this.tick().catch(() => undefined);
    }, Math.max(0, next - this.now()));
  }

  /** The earliest deadline of a call in flight, or null: when the shell should wake us. */
  nextDeadline(): number | null {
    return this.open.nextDeadline();
  }

  /** Handles every expired deadline (called by the timer and by the Durable Object alarm). */
  async tick(): Promise<void> {
    if (!this.leading) {
      if (this.state.runningJobs().length === 0) return;
      await this.lead(); // the alarm of a fresh incarnation: take over, resume() runs on election
    }
    const now = this.now();
    const expired = this.open.due(now);
    await Promise.all(expired.map((a) => this.expire(a, "no result within its deadline", "silent")));
    // Before draining: marking a silent node unresponsive would count as news from it.
    await this.expireSilent(now);
    await this.drainFailing(now);
    await this.speculate(now);
    this.armDeadlines();
  }

  /** Silent runners (nodes.ts expiredNodes): removed through the log, so every replica drops them alike. */
  private async expireSilent(now: number): Promise<void> {
    const { expired } = this.silence(now);
    if (expired.length === 0) return;
    const reason = (silentMs: number) => `no word from it for ${Math.round(silentMs / 1_000)} s (NODE_EXPIRY_MS is ${this.nodeExpiryMs})`;
    await this.propose(expired.map(({ id, silentMs }) => ({ type: "node.removed" as const, node: id, at: now, reason: reason(silentMs) })));
  }

  private get nodeExpiryMs(): number {
    return this.o.nodeExpiryMs ?? DEFAULT_NODE_EXPIRY_MS;
  }

  /** Which runners are silent past the expiry at `now`, by what this leader heard, and when the next will be. */
  private silence(now: number) {
    const hearing = (id: NodeId): Hearing => {
      const beat = this.heartbeats.get(id);
      return { leadingSince: this.leadingSince, ...(beat ? { heartbeatAt: beat.at } : {}) };
    };
    return expiredNodes(this.state.allNodes(), hearing, now, this.nodeExpiryMs);
  }

  /** The leader's timer for the next runner that would expire; heartbeats only push it later, so it may find none. */
  private armExpiry(): void {
    if (!this.leading) return;
    if (this.expiryTimer !== null) this.o.timers.clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    const { nextAt } = this.silence(this.now());
    if (nextAt === null) return;
    this.expiryTimer = this.o.timers.setTimeout(() => {
      this.expiryTimer = null;
      this.expireSilent(this.now())
        .catch((error: unknown) => this.log.warn("removing silent nodes failed; the next leader or tick retries", { reason: errorMessage(error) }))
        .finally(() => this.armExpiry());
    }, Math.max(0, nextAt - this.now()));
  }

  /**
   * Nodes the scheduler judges failed (phi) or about to fail (anomalous and slowing): marked
   * unresponsive in the log, so they get no new work, and their calls in flight go elsewhere
   * now rather than at their deadline (proactive drain; a late answer still counts).
   */
  private async drainFailing(now: number): Promise<void> {
    for (const s of this.o.scheduler.suspicions(now)) {
      if (!drains(s, this.state.node(s.node)?.status)) continue;
      try {
        await this.propose([{ type: "node.unresponsive", node: s.node, at: now, reason: `${s.verdict}: ${s.reason}` }]);
      } catch (error) {
        this.log.warn("marking a node unresponsive failed", { node: s.node, reason: errorMessage(error) });
        continue;
      }
      const draining = this.open.onNode(s.node);
      await Promise.all(draining.map((a) => this.expire(a, `drained: ${s.node} is ${s.verdict} (${s.reason})`, "refused")));
    }
  }

  /** Backup attempts for calls running far past their prediction, where the scheduler says a backup would win. */
  private async speculate(now: number): Promise<void> {
    for (const advice of this.o.scheduler.stragglers(now)) {
      const open = this.open.byKey(advice.key);
      if (!open) continue;
      await this.exclusive(open.job, async () => {
        const backup = backupOf(this.recovery(), open, advice.backup, advice.reason, now);
        if (!backup) return;
        await this.propose([backup]).catch((error: unknown) =>
          this.log.warn("speculative backup failed", { job: open.job, call: `${open.job}#${open.seq}`, trace: this.traceOf(open.job), reason: errorMessage(error) }),
        );
      });
    }
  }

  /** Gives up on one attempt (recovery.ts attemptEnded says what follows) and forgets it once that is chosen. */
  private expire(a: OpenAttempt, why: string, ending: Ending): Promise<void> {
    return this.exclusive(a.job, async () => {
      try {
        const decisions = attemptEnded(this.recovery(), a, why, ending, this.now());
        if (decisions === null) this.open.close(a.job, a.seq, a.attempt);
        else await this.propose(decisions);
      } catch (error) {
        this.log.warn("re-dispatching failed", { job: a.job, call: `${a.job}#${a.seq}`, trace: this.traceOf(a.job), reason: errorMessage(error) });
      }
    });
  }

  /** What recovery.ts's rules consult: the state now, and this leader's placement. */
  private recovery(): RecoveryContext {
    return { state: this.state, registry: this.o.registry, by: this.id, verify: this.o.verify, place: (request) => this.place(request) };
  }

  /** A result from any backend: into the log (the state keeps the first per call). */
  private async offer(offer: ResultOffer): Promise<void> {
    const at = this.now();
    await this.propose([{ type: "call.result", ...offer, at }]);
  }

  // ---- JobPlane: what the API asks ---------------------------------------------------------

  async submitJob(request: SubmitJobRequest): Promise<SubmitJobReply> {
    await this.lead({ toRead: true });
    // A finished job answers for its idempotency key for as long as it is kept (JOB_RETENTION).
    const existing = this.job(request.id);
    if (existing) {
      if (existing.name !== request.name || !samePayload(existing.input, request.input)) {
        throw new PaxflowError(
          "idempotency-conflict",
          `job ${request.id} already exists for this idempotency key with another ${existing.name !== request.name ? "job name" : "input"}`,
        );
      }
      return { created: false, job: await this.viewAfter(request.id, request.waitMs ?? 0) };
    }
    // Running jobs live in memory: past the bound a new one waits for others to finish (sub-jobs of running ones are always taken).
    const maxRunning = this.o.maxRunningJobs ?? DEFAULT_MAX_RUNNING_JOBS;
    if (this.state.runningCount >= maxRunning) {
      throw new PaxflowError("too-many-running", `shard ${this.o.shard} runs ${this.state.runningCount} jobs and MAX_RUNNING_JOBS is ${maxRunning}: retry once some finish`);
    }
    const accepted: Decision = {
      type: "job.accepted",
      job: request.id,
      name: request.name,
      input: request.input,
      at: this.now(),
      ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
      submittedBy: request.submittedBy,
    };
    const created = await this.exclusive(request.id, async () => {
      if (this.job(request.id)) return false; // a concurrent submit with the same id got there first
      const input = await this.o.payloads.open(request.input);
      // Advance a job that is not in the state yet: accepted and its first steps share a slot.
      const definition = this.o.registry.jobs.get(request.name);
      const run = definition && new JobRun(definition, input);
      const seed: JobSeed = { id: request.id, name: request.name, input, calls: [], outputs: new Map(), ancestry: [{ kind: "job", target: request.name, input }], ...(run ? { run } : {}) };
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
    this.poke(request.id);
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
    const node = this.state.node(id);
    if (!node) return null;
    if (node.quarantine) return { status: "quarantined", reason: node.quarantine.reason };
    this.heartbeats.set(id, { at: this.now(), load });
    this.o.scheduler.heartbeat(id, load, this.now());
    const verdict = this.o.scheduler.suspicions(this.now()).find((s) => s.node === id)?.verdict ?? "healthy";
    if (node.status === "unresponsive" && node.spec.url && comesBack(verdict)) {
      // It answers again: ask for its load and traffic now, and re-rank it from that.
      const probed = await this.o.backends.probeRunner({ id, url: node.spec.url }).catch(() => null);
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
    await this.lead();
    const job = this.job(offer.job);
    const attempt = job?.calls[offer.seq]?.attempts[offer.attempt - 1];
    if (!job) return { accepted: false, reason: `unknown job ${offer.job}` };
    if (!attempt || attempt.node !== offer.node) {
      return { accepted: false, reason: `call ${offer.job}#${offer.seq} attempt ${offer.attempt} was not dispatched to ${offer.node}` };
    }
    const before = job.calls[offer.seq]!;
    const sameReport = (x: { startedAt?: number; finishedAt?: number }) => x.startedAt === offer.startedAt && x.finishedAt === offer.finishedAt;
    // A verified call keeps only which nodes agreed (its held answers are dropped once accepted).
    const agreedBefore = before.verifiedBy?.includes(offer.node) === true;
    if ((before.node === offer.node && sameReport(before)) || agreedBefore || before.answers?.some((a) => a.attempt === offer.attempt && sameReport(a))) {
      // The same report again (the runner did not see our answer, or sends twice): the log has it.
      return { accepted: true, reason: "this result is already recorded" };
    }
    await this.offer(offer);
    const call = this.job(offer.job)?.calls[offer.seq];
    const won = call?.node === offer.node && call.finishedAt === offer.finishedAt;
    if (won) return { accepted: true };
    if (this.state.distrusted(offer.node)) return { accepted: false, reason: `${offer.node} is quarantined: ${this.state.node(offer.node)?.quarantine?.reason ?? ""}` };
    if (call?.answers?.some((a) => a.attempt === offer.attempt) || call?.verifiedBy?.includes(offer.node)) {
      return { accepted: true, reason: call.outcome ? "verified" : "held until a second node agrees" };
    }
    return { accepted: false, reason: job.status !== "running" ? `job ${job.id} already ${job.status}` : "the call already had a result (first result wins)" };
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
    const beat = this.heartbeats.get(id);
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
      loads: [...this.heartbeats].map(([node, beat]) => ({ node, queue: beat.load.queue, inFlight: beat.load.inFlight })),
    };
  }

  async jobStats(): Promise<JobsStats> {
    let retained = Object.values(this.o.finished.counts()).reduce((a, b) => a + b, 0);
    for (const _ of this.state.allJobs()) retained++;
    return { counters: { ...this.state.counters }, running: this.state.runningJobs().length, retained };
  }
}
