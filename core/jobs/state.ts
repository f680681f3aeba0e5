/**
 * A shard's jobs and nodes: the decisions of its log applied in order (decisions.ts), and
 * nothing else. Every replica that applies the same log holds the same state, so a commander
 * that takes over continues exactly where the last one stopped.
 *
 * Rules that make duplicates harmless: the first result for a call wins and later ones are
 * counted and dropped; a decision that no longer fits (a dispatch for a call that already has
 * its result, a result for an attempt that was never dispatched to that node, anything for a
 * finished job) is counted as stale and changes nothing.
 */
import { type CodeMismatch, isCodeMismatch } from "../sdk/code-identity.ts";
import type { CallFailure } from "../sdk/replay.ts";
import type { Candidate, CallOutcome, Canceller, Decision, DecisionType, Ending, JobError, JobId, NodeId, NodeLoad, NodeSpec } from "./decisions.ts";
import { jobRef } from "../sdk/registry.ts";
import { upgradeJob } from "./legacy-records.ts";
import { newerRegistration } from "./nodes.ts";
import type { Payload } from "./payload.ts";
import { type Answer, VERIFY_QUORUM, attemptsNeeded, countable, groups, quorumFor } from "./verification.ts";

export type JobStatus = "running" | "done" | "failed" | "cancelled";
export const JOB_STATUSES: readonly JobStatus[] = ["running", "done", "failed", "cancelled"];

/**
 * How an attempt stands: out on its node (open); its answer taken or held for verification
 * (answered, also when the answer came after the attempt ended: a late answer still counts while
 * the call has none); or over without an answer (ended), and how: a call.timeout decision's
 * `ending`, or "unrecorded" for one logged before endings were recorded (counted as the node's
 * failure, as it was then).
 */
export type AttemptStatus =
  | { readonly is: "open" }
  | { readonly is: "answered"; readonly at: number }
  | { readonly is: "ended"; readonly how: Ending | "unrecorded"; readonly at: number }
  /**
   * Refused by its node for the stage's code (code-identity.ts): the node bundles other code under
   * that name@version, so it ran nothing. Not the call's result: the call goes to a node with its
   * code (recovery.ts), and fails with this refusal only when none is left.
   */
  | { readonly is: "ended"; readonly how: "code-mismatch"; readonly at: number; readonly refusal: CodeMismatch };

/** Every new attempt's status (shared: statuses are replaced, never changed). */
const OPEN: AttemptStatus = { is: "open" };

export interface AttemptRecord {
  readonly attempt: number;
  readonly node: NodeId;
  readonly dispatchedAt: number;
  readonly predicted: Candidate;
  readonly alternatives: readonly Candidate[];
  readonly reason: string;
  readonly by: string;
  /** The stage's code digest it was dispatched for (call.dispatched's `digest`), when the leader knew one. */
  readonly digest?: string;
  status: AttemptStatus;
}

/** The answer a stage call took: which node ran it, when, and what came out. */
export type Taken = Omit<Answer, "attempt">;

/**
 * How a verified call's result was accepted (`reason`: why it was chosen for verification):
 * nodes agreed, and every node whose answer differed is a dissenter (quarantined unless its
 * answer was an error); or no runner's answer was left to compare, and the plane's own backend's
 * was taken unchecked.
 */
export type Verification =
  | { readonly reason: string; readonly settled: "agreed"; readonly by: readonly NodeId[]; readonly dissenters: readonly NodeId[] }
  | { readonly reason: string; readonly settled: "unchecked" };

/**
 * A stage call: pending until an answer is taken; verifying while its answers are held until two
 * nodes agree (`reason`: why it needs a second node, verification.ts); done once it has its
 * result, with how it was verified when it was.
 */
export type StageCallState =
  | { readonly is: "pending" }
  | { readonly is: "verifying"; readonly reason: string; readonly answers: Answer[] }
  | ({ readonly is: "done"; readonly verified?: Verification } & Taken);

/** A sub-job call: pending while its child runs, done with the child's end. */
export type JobCallState = { readonly is: "pending" } | { readonly is: "done"; readonly outcome: CallOutcome<Payload>; readonly finishedAt: number };

interface CallBase {
  readonly seq: number;
  readonly target: string;
  readonly input: Payload;
  readonly queuedAt: number;
}

export interface StageCall extends CallBase {
  readonly kind: "stage";
  readonly attempts: AttemptRecord[];
  state: StageCallState;
}

export interface JobCall extends CallBase {
  readonly kind: "job";
  /** The job that answers it, accepted (started) at `startedAt`. */
  readonly child: JobId;
  readonly startedAt: number;
  state: JobCallState;
}

export type CallRecord = StageCall | JobCall;

const PENDING = { is: "pending" } as const;

/** A call's result, once it has one. */
export const outcomeOf = (call: CallRecord): CallOutcome<Payload> | undefined => (call.state.is === "done" ? call.state.outcome : undefined);

/** Whether an attempt has neither answered nor ended. */
export const isOpen = (t: AttemptRecord): boolean => t.status.is === "open";

/** A stage call's attempts that have neither answered nor ended. */
export const outstanding = (call: StageCall): AttemptRecord[] => call.attempts.filter(isOpen);

/** The node whose answer a stage call took, once it took one. */
export const takenFrom = (call: CallRecord | undefined): NodeId | undefined => (call?.kind === "stage" && call.state.is === "done" ? call.state.node : undefined);

/**
 * The code digest a stage call is pinned to: its earlier attempts' (recovery.ts attemptOn), when
 * its first dispatcher knew one.
 */
export const pinnedDigest = (call: StageCall): string | undefined => call.attempts.find((t) => t.digest !== undefined)?.digest;

/**
 * Whether a failed outcome for `attempt` is its node's refusal to run other code than the
 * attempt was dispatched for (code-identity.ts), rather than the stage's own failure: a
 * CodeMismatch by its code and fields, for this stage, naming the digest the attempt carried. A
 * backend refuses only a call that carries a digest, so anything else is the stage's result.
 */
const isRefusalOf = (call: StageCall, attempt: AttemptRecord, error: CallFailure): error is CodeMismatch =>
  isCodeMismatch(error) && error.kind === "stage" && error.stage === call.target && attempt.digest !== undefined && error.callDigest === attempt.digest;

/** Why its node refused an attempt for other code, if it did: it ran nothing, so neither did the stage fail. */
export const refusalOf = (t: AttemptRecord): CodeMismatch | undefined => (t.status.is === "ended" && t.status.how === "code-mismatch" ? t.status.refusal : undefined);

/**
 * The nodes known to bundle other code for `call`'s stage than the call is pinned to: those that
 * refused one of its attempts for its code, and the registered nodes that said so for another
 * call of the stage since they last registered.
 */
export function otherCodeNodes(state: JobsState, call: StageCall): Set<NodeId> {
  const refused = call.attempts.filter(refusalOf).map((t) => t.node);
  const pinned = pinnedDigest(call);
  return new Set([...refused, ...(pinned === undefined ? [] : bundlingOther(state, call.target, pinned))]);
}

/** The registered nodes that said they bundle other code for `stage` than `digest` (NodeRecord.bundles). */
export function bundlingOther(state: JobsState, stage: string, digest: string): Set<NodeId> {
  return new Set(state.allNodes().flatMap((n) => (n.bundles?.[stage] !== undefined && n.bundles[stage] !== digest ? [n.spec.id] : [])));
}

/** A call's held answers: a verifying call's, none for any other. */
export const heldAnswers = (call: StageCall): readonly Answer[] => (call.state.is === "verifying" ? call.state.answers : []);

/** One line of a job's history: what the log decided about it, in order. */
export interface JobEvent {
  readonly n: number;
  readonly type: DecisionType;
  readonly at: number;
  readonly seq?: number;
  readonly attempt?: number;
  readonly node?: NodeId;
  readonly detail?: string;
}

export interface JobRecord {
  readonly id: JobId;
  readonly name: string;
  /** The version it started on and runs to its end on (jobRef); absent on jobs recorded before jobs had versions: 1. */
  readonly version?: number;
  /** The code digest of that version it was accepted on (job.accepted's `digest`); absent when unknown. */
  readonly digest?: string;
  readonly input: Payload;
  readonly acceptedAt: number;
  readonly idempotencyKey?: string;
  /**
   * The name of the client token that submitted it: its tenant (tenancy.ts). Sub-jobs carry
   * their root's. Absent only for jobs logged before submitters were recorded.
   */
  readonly submittedBy?: string;
  readonly parent?: { readonly job: JobId; readonly seq: number };
  /** The job at the top of this job's tree (itself when it has no parent). */
  readonly root: JobId;
  status: JobStatus;
  finishedAt?: number;
  output?: Payload;
  error?: JobError;
  /** Jobs ended by a `job.cancelled` decision (the job it names and its running sub-jobs): who cancelled. */
  cancelledBy?: Canceller;
  readonly calls: CallRecord[];
  readonly events: JobEvent[];
}

/** "quarantined": it gave a verified call a result the majority disagreed with; it gets no work and its results are refused. */
export type NodeStatus = "up" | "unresponsive" | "quarantined";

export interface NodeRecord {
  spec: NodeSpec;
  status: NodeStatus;
  /** When the status last changed. */
  since: number;
  registeredAt: number;
  /** The runner's signature timestamp on its current registration: the next one must be newer (nodes.ts). */
  signedAt?: number;
  /** The load it reported when it came back (heartbeats between are soft state). */
  load?: NodeLoad;
  /** Calls dispatched to it so far (a new node's first ones are verified). */
  dispatched: number;
  /** Why it is quarantined, and the call it answered wrongly when this shard caught it. */
  quarantine?: { readonly at: number; readonly reason: string; readonly call?: { readonly job: JobId; readonly seq: number } };
  /**
   * The code digests it said it bundles, by stage ref, when it refused a call for other code
   * (code-identity.ts): calls dispatched for another digest of those stages do not go to it.
   * Forgotten when it registers again (another build may have started under its id).
   */
  bundles?: Readonly<Record<string, string>>;
}

export interface Counters {
  /** Results for calls that already had one (two nodes finished it): dropped. */
  duplicateResults: number;
  /** Results that arrived after their job ended (cancelled, failed): dropped. */
  lateResults: number;
  /** Decisions that no longer fit the state (raced by another commander): ignored. */
  staleDecisions: number;
  /** Log entries that named a decision type without its shape (decision-shape.ts): skipped. */
  malformedDecisions: number;
  timeouts: number;
  /** Dispatches after the first attempt of a call. */
  redispatches: number;
  /** Calls whose result two nodes confirmed. */
  verifiedCalls: number;
  /** Verified calls whose answers disagreed (a third node decided). */
  disputes: number;
  /** Nodes quarantined for disagreeing with the majority. */
  quarantines: number;
  /** Results from quarantined nodes: refused. */
  distrustedResults: number;
}

export interface JobsStateOptions {
  /**
   * Finished top-level jobs kept in this state (with their sub-jobs); the oldest are forgotten
   * first. A commander keeps none (0): a finished tree leaves memory as it ends, handed over in
   * `retiredByLastApply` to the commander's store of finished jobs (runtime/jobs/finished-jobs.ts).
   */
  readonly retainFinished: number;
  /**
   * Broken on purpose: a call that has its result takes a later one too. Only the job-plane
   * simulation's variant sets it (runtime/sim/job-variants.ts), to show its checker sees it.
   */
  readonly acceptSecondResult?: boolean;
}

export const DEFAULT_RETAIN_FINISHED = 1_000;

/** What a snapshot of JobsState holds: plain JSON. */
export interface JobsSnapshot {
  readonly jobs: readonly JobRecord[];
  readonly nodes: readonly NodeRecord[];
  readonly counters: Counters;
  readonly finishedOrder: readonly JobId[];
  /** JobsState.appliedAt; absent in snapshots taken before it was kept. */
  readonly appliedAt?: number;
  /**
   * The commander that took it (set by the commander, not by JobsState): its store held every
   * finished job through the snapshot's slot, so one that adopts the snapshot copies the jobs it
   * missed from there (runtime/jobs/job-driver.ts).
   */
  readonly author?: string;
}

const zeroCounters = (): Counters => ({
  duplicateResults: 0,
  lateResults: 0,
  staleDecisions: 0,
  malformedDecisions: 0,
  timeouts: 0,
  redispatches: 0,
  verifiedCalls: 0,
  disputes: 0,
  quarantines: 0,
  distrustedResults: 0,
});

/** What applying one decision did, for the commander to react to. */
export type Applied =
  | { readonly effect: "none" }
  /**
   * `job` may continue (the job the decision names, or the parent a sub-job's end answered);
   * `ended` lists every job the decision ended: the one it names, its running sub-jobs, and the
   * ancestors a fatal failure ended with it (each may have someone waiting for its end).
   */
  | { readonly effect: "job"; readonly job: JobId; readonly quarantined?: readonly NodeId[]; readonly ended?: readonly JobId[] }
  | { readonly effect: "node"; readonly node: NodeId };

const NONE: Applied = { effect: "none" };

function describeCanceller(by: Canceller): string {
  switch (by.kind) {
    case "client":
      return `by token "${by.token}"`;
    case "plane":
      return "by the plane";
    case "unrecorded":
      return "canceller not recorded";
  }
}

export class JobsState {
  private readonly jobs = new Map<JobId, JobRecord>();
  private readonly nodes = new Map<NodeId, NodeRecord>();
  /** Running jobs, for the commander's sweep after a takeover. */
  private readonly running = new Set<JobId>();
  /** Finished top-level jobs in the order they finished: the retention queue. */
  private finishedOrder: JobId[] = [];
  counters: Counters = zeroCounters();

  constructor(private readonly options: JobsStateOptions = { retainFinished: DEFAULT_RETAIN_FINISHED }) {}

  job(id: JobId): JobRecord | undefined {
    return this.jobs.get(id);
  }

  node(id: NodeId): NodeRecord | undefined {
    return this.nodes.get(id);
  }

  allJobs(): IterableIterator<JobRecord> {
    return this.jobs.values();
  }

  allNodes(): NodeRecord[] {
    return [...this.nodes.values()];
  }

  /** How many jobs run (sub-jobs included): what the shard holds in memory. */
  get runningCount(): number {
    return this.running.size;
  }

  runningJobs(): JobId[] {
    return [...this.running];
  }

  /**
   * The calls the last applied decision gave their outcome (a result, a verified agreement, the
   * plane's answer once no runner can answer, a sub-job's end): a leader's kept runs learn of
   * them here (runtime/jobs/live-jobs.ts). Not state: reset by every apply, never snapshotted.
   */
  get settledByLastApply(): readonly { readonly job: JobId; readonly seq: number }[] {
    return this.settledNow;
  }

  private settledNow: { job: JobId; seq: number }[] = [];

  /**
   * The finished trees the last applied decision ended, every job of each (root first), with
   * the slot-independent facts a store keeps: they are final (nothing in the log changes a
   * finished job) and, with retainFinished 0, already gone from this state. Not state: reset by
   * every apply, never snapshotted.
   */
  get retiredByLastApply(): readonly (readonly JobRecord[])[] {
    return this.retiredNow;
  }

  private retiredNow: JobRecord[][] = [];

  /**
   * The latest `at` among the applied decisions: the log's own clock, the same on every replica
   * that applied the same prefix (retention is measured on it, never on a local clock).
   */
  get appliedAt(): number {
    return this.appliedAt_;
  }

  private appliedAt_ = 0;

  apply(d: Decision): Applied {
    this.settledNow = [];
    this.retiredNow = [];
    if (Number.isFinite(d.at) && d.at > this.appliedAt_) this.appliedAt_ = d.at;
    return this.applyDecision(d);
  }

  private applyDecision(d: Decision): Applied {
    switch (d.type) {
      case "job.accepted":
        return this.accept(d);
      case "call.dispatched":
        return this.dispatched(d);
      case "call.result":
        return this.result(d);
      case "call.timeout":
        return this.timeout(d);
      case "job.finished":
        // Giving up on a call that got its result meanwhile: the job goes on with the result.
        if (d.call !== undefined && this.jobs.get(d.job)?.calls[d.call]?.state.is === "done") return this.stale();
        return this.finish(d.job, d.at, d.outcome.ok ? { output: d.outcome.output } : { error: d.outcome.error }, d);
      case "job.cancelled":
        return this.cancel(d);
      case "node.registered": {
        const existing = this.nodes.get(d.node.id);
        // A replayed or outdated registration must not roll the node back, whichever commander proposed it.
        if (!newerRegistration(existing, d.signedAt)) return this.stale();
        const signed = d.signedAt === undefined ? {} : { signedAt: d.signedAt };
        // Registering again does not lift a quarantine: a node caught lying stays out under its id.
        if (existing?.status === "quarantined") {
          Object.assign(existing, { spec: d.node, ...signed });
          delete existing.bundles;
          return { effect: "node", node: d.node.id };
        }
        this.nodes.set(d.node.id, { spec: d.node, status: "up", since: d.at, registeredAt: existing?.registeredAt ?? d.at, dispatched: existing?.dispatched ?? 0, ...signed });
        return { effect: "node", node: d.node.id };
      }
      case "node.removed":
        // A runner removed while it still runs finds out on its next heartbeat (404) and registers again.
        if (!this.nodes.delete(d.node)) return this.stale();
        return { effect: "node", node: d.node };
      case "node.unresponsive":
      case "node.back": {
        const node = this.nodes.get(d.node);
        if (!node || node.status === "quarantined") return this.stale();
        node.status = d.type === "node.back" ? "up" : "unresponsive";
        node.since = d.at;
        if (d.type === "node.back") node.load = d.load;
        return { effect: "node", node: d.node };
      }
      case "node.quarantined": {
        const node = this.nodes.get(d.node);
        if (!node || node.status === "quarantined") return this.stale();
        node.status = "quarantined";
        node.since = d.at;
        node.quarantine = { at: d.at, reason: d.reason };
        this.counters.quarantines++;
        return { effect: "node", node: d.node };
      }
    }
  }

  snapshot(): JobsSnapshot {
    return {
      jobs: [...this.jobs.values()],
      nodes: [...this.nodes.values()],
      counters: { ...this.counters },
      finishedOrder: [...this.finishedOrder],
      appliedAt: this.appliedAt_,
    };
  }

  restore(snapshot: JobsSnapshot): void {
    this.jobs.clear();
    this.nodes.clear();
    this.running.clear();
    for (const stored of snapshot.jobs) {
      // A snapshot taken by older code holds its call records (legacy-records.ts).
      const job = upgradeJob(stored);
      this.jobs.set(job.id, job);
      if (job.status === "running") this.running.add(job.id);
    }
    for (const node of snapshot.nodes) this.nodes.set(node.spec.id, { ...node, dispatched: node.dispatched ?? 0 });
    this.counters = { ...zeroCounters(), ...snapshot.counters };
    this.finishedOrder = [...snapshot.finishedOrder];
    this.appliedAt_ = snapshot.appliedAt ?? 0;
  }

  private stale(): Applied {
    this.counters.staleDecisions++;
    return NONE;
  }

  private event(job: JobRecord, d: Decision, extra: Omit<JobEvent, "n" | "type" | "at"> = {}): void {
    job.events.push({ n: job.events.length + 1, type: d.type, at: d.at, ...extra });
  }

  private accept(d: Extract<Decision, { type: "job.accepted" }>): Applied {
    if (this.jobs.has(d.job)) return this.stale();
    let root = d.job;
    let submittedBy = d.submittedBy;
    if (d.parent) {
      const parent = this.jobs.get(d.parent.job);
      if (!parent || parent.status !== "running" || d.parent.seq !== parent.calls.length) return this.stale();
      root = parent.root;
      // A sub-job belongs to its tree's tenant: whoever may see the root may see it, and no one else.
      submittedBy = parent.submittedBy;
      const target = jobRef(d.name, d.version);
      parent.calls.push({ seq: d.parent.seq, kind: "job", target, input: d.input, queuedAt: d.at, child: d.job, startedAt: d.at, state: PENDING });
      // As the log names it: an entry from before job versions names no version, and its event
      // reads as that code wrote it (a snapshot it took must read as this log builds it).
      this.event(parent, d, { seq: d.parent.seq, detail: `sub-job ${d.job} (${d.version === undefined ? d.name : target})` });
    }
    const job: JobRecord = {
      id: d.job,
      name: d.name,
      ...(d.version === undefined ? {} : { version: d.version }),
      ...(d.digest === undefined ? {} : { digest: d.digest }),
      input: d.input,
      acceptedAt: d.at,
      root,
      status: "running",
      calls: [],
      events: [],
      ...(d.idempotencyKey === undefined ? {} : { idempotencyKey: d.idempotencyKey }),
      ...(submittedBy === undefined ? {} : { submittedBy }),
      ...(d.parent ? { parent: d.parent } : {}),
    };
    this.jobs.set(d.job, job);
    this.running.add(d.job);
    this.event(job, d);
    return { effect: "job", job: d.job };
  }

  private dispatched(d: Extract<Decision, { type: "call.dispatched" }>): Applied {
    const job = this.jobs.get(d.job);
    if (!job || job.status !== "running") return this.stale();
    const node = this.nodes.get(d.node);
    if (node?.status === "quarantined") {
      // Decided before the quarantine was applied: the job must be advanced again, elsewhere.
      this.counters.staleDecisions++;
      return { effect: "job", job: d.job };
    }
    let call = job.calls[d.seq];
    if (!call) {
      if (d.seq !== job.calls.length || d.attempt !== 1) return this.stale();
      call = { seq: d.seq, kind: "stage", target: d.stage, input: d.input, queuedAt: d.at, attempts: [], state: PENDING };
      job.calls.push(call);
    }
    if (call.kind !== "stage" || call.state.is === "done" || d.attempt !== call.attempts.length + 1) return this.stale();
    // From this attempt on its answers are held until they agree (with those of the attempts before).
    if (d.verify !== undefined && call.state.is === "pending") call.state = { is: "verifying", reason: d.verify, answers: [] };
    if (node) node.dispatched++;
    call.attempts.push({
      attempt: d.attempt,
      node: d.node,
      dispatchedAt: d.at,
      predicted: d.predicted,
      alternatives: d.alternatives,
      reason: d.reason,
      by: d.by,
      ...(d.digest === undefined ? {} : { digest: d.digest }),
      status: OPEN,
    });
    if (d.attempt > 1) this.counters.redispatches++;
    this.event(job, d, { seq: d.seq, attempt: d.attempt, node: d.node, detail: d.reason });
    return { effect: "job", job: d.job };
  }

  private result(d: Extract<Decision, { type: "call.result" }>): Applied {
    const job = this.jobs.get(d.job);
    if (!job) return this.stale();
    const call = job.calls[d.seq];
    const attempt = call?.kind === "stage" ? call.attempts[d.attempt - 1] : undefined;
    // Only the node a call was dispatched to may answer for that attempt.
    if (call?.kind !== "stage" || !attempt || attempt.node !== d.node) return this.stale();
    if (job.status !== "running") {
      this.counters.lateResults++;
      return NONE;
    }
    if (this.nodes.get(d.node)?.status === "quarantined") {
      this.counters.distrustedResults++;
      return NONE;
    }
    if ((call.state.is === "done" && !this.options.acceptSecondResult) || attempt.status.is === "answered") {
      this.counters.duplicateResults++;
      return NONE;
    }
    if (!d.outcome.ok && isRefusalOf(call, attempt, d.outcome.error)) return this.refusedForCode(job, call, attempt, d.outcome.error, d);
    attempt.status = { is: "answered", at: d.at };
    const detail = d.outcome.ok ? {} : { detail: `${d.outcome.error.name}: ${d.outcome.error.message}` };
    if (call.state.is !== "verifying") {
      this.take(job, call, d);
      this.event(job, d, { seq: d.seq, attempt: d.attempt, node: d.node, ...detail });
      return { effect: "job", job: d.job };
    }
    return this.verifying(job, call, call.state, d);
  }

  private take(job: JobRecord, call: StageCall, answer: Taken, verified?: Verification): void {
    this.settledNow.push({ job: job.id, seq: call.seq });
    const { node, outcome, startedAt, finishedAt } = answer;
    call.state = { is: "done", node, outcome, startedAt, finishedAt, ...(verified ? { verified } : {}) };
  }

  /** An answer to a call under verification: held until the answers settle it (settle). */
  private verifying(job: JobRecord, call: StageCall, held: Extract<StageCallState, { is: "verifying" }>, d: Extract<Decision, { type: "call.result" }>): Applied {
    held.answers.push({ attempt: d.attempt, node: d.node, outcome: d.outcome, startedAt: d.startedAt, finishedAt: d.finishedAt });
    const settled = this.settle(job, call, held, d.at);
    const detail = settled?.detail ?? `held: ${held.answers.length} answer(s), ${VERIFY_QUORUM} must agree (${held.reason})`;
    this.event(job, d, { seq: d.seq, attempt: d.attempt, node: d.node, detail });
    return { effect: "job", job: d.job, ...(settled?.quarantined.length ? { quarantined: settled.quarantined } : {}) };
  }

  /** Whether the plane takes a node's answers without a second opinion: its own backends, which are never registered. */
  trusted(node: NodeId): boolean {
    return !this.nodes.has(node);
  }

  /** More attempts a call needs to get a result (verification.ts), with `running` of its attempts still out. */
  attemptsNeeded(call: StageCall, running: readonly AttemptRecord[]): number {
    if (call.state.is !== "verifying") return attemptsNeeded(1, [], running.length);
    const answers = countable(call.state.answers, (n) => this.distrusted(n));
    return attemptsNeeded(this.quorum(answers, running), answers, running.length);
  }

  private quorum(answers: readonly Answer[], running: readonly AttemptRecord[]): number {
    return quorumFor(answers, running.some((t) => !this.trusted(t.node)), (n) => this.trusted(n));
  }

  /**
   * A held call's result, once its answers settle it (verification.ts quorumFor): accepted, and
   * when two nodes agreed, every node whose answer differs is quarantined. Null while it waits.
   */
  private settle(job: JobRecord, call: StageCall, held: Extract<StageCallState, { is: "verifying" }>, at: number): { detail: string; quarantined: NodeId[] } | null {
    const { answers, reason } = held;
    const counted = countable(answers, (n) => this.distrusted(n));
    const [majority] = groups(counted);
    if (!majority || majority.length < this.quorum(counted, outstanding(call))) return null;
    if (majority.length < VERIFY_QUORUM) {
      // Only the plane's own backends answered, and no runner can any more: nothing to compare.
      this.take(job, call, majority[0]!, { reason, settled: "unchecked" });
      const runners = [...new Set(call.attempts.filter((t) => !this.trusted(t.node)).map((t) => t.node))];
      return { detail: `accepted unverified from ${majority[0]!.node}: no answer of ${runners.join(", ")} left to check (${reason})`, quarantined: [] };
    }
    const agreed = majority.map((a) => a.node);
    const dissenters = [...new Set(answers.filter((a) => !majority.includes(a)).map((a) => a.node))].filter((n) => !agreed.includes(n));
    this.take(job, call, majority[0]!, { reason, settled: "agreed", by: agreed, dissenters });
    this.counters.verifiedCalls++;
    if (dissenters.length > 0) this.counters.disputes++;
    const quarantined: NodeId[] = [];
    for (const id of dissenters) {
      const node = this.nodes.get(id);
      // The plane's own backends are not quarantined (nothing to route around); the dissent is on
      // record. Nor is a node whose answer was an error: a failure can come from the host (memory,
      // a crash), not only from a lie.
      const errored = answers.some((a) => a.node === id && !a.outcome.ok);
      if (!node || node.status === "quarantined" || errored) continue;
      const reason = `its result for ${job.id}#${call.seq} (${call.target}) differs from ${agreed.join(" and ")}'s`;
      node.status = "quarantined";
      node.since = at;
      node.quarantine = { at, reason, call: { job: job.id, seq: call.seq } };
      this.counters.quarantines++;
      quarantined.push(id);
    }
    return { detail: `verified: ${agreed.join(" and ")} agree${dissenters.length ? `; ${dissenters.join(", ")} disagreed` : ""}`, quarantined };
  }

  /** Whether a node's answers no longer count. */
  distrusted(node: NodeId): boolean {
    return this.nodes.get(node)?.status === "quarantined";
  }

  private timeout(d: Extract<Decision, { type: "call.timeout" }>): Applied {
    const job = this.jobs.get(d.job);
    const call = job?.calls[d.seq];
    const attempt = call?.kind === "stage" ? call.attempts[d.attempt - 1] : undefined;
    if (!job || job.status !== "running" || call?.kind !== "stage" || !attempt || attempt.node !== d.node || attempt.status.is !== "open" || call.state.is === "done") {
      return this.stale();
    }
    this.counters.timeouts++;
    return this.ended(job, call, attempt, { is: "ended", how: d.ending ?? "unrecorded", at: d.at }, d, d.reason);
  }

  /**
   * A node refused an attempt for the stage's code: the attempt ends without a result, and the
   * node is remembered to bundle that code for the stage (until it registers again).
   */
  private refusedForCode(job: JobRecord, call: StageCall, attempt: AttemptRecord, refusal: CodeMismatch, d: Extract<Decision, { type: "call.result" }>): Applied {
    const node = this.nodes.get(d.node);
    if (node) node.bundles = { ...node.bundles, [call.target]: refusal.registryDigest };
    return this.ended(job, call, attempt, { is: "ended", how: "code-mismatch", at: d.at, refusal }, d, `${refusal.name}: ${refusal.message}`);
  }

  /** An attempt is over without an answer (`detail`: why, for its event). */
  private ended(job: JobRecord, call: StageCall, attempt: AttemptRecord, status: Extract<AttemptStatus, { is: "ended" }>, d: Decision & { job: JobId; seq: number; attempt: number; node: NodeId }, detail: string): Applied {
    attempt.status = status;
    // The attempt that ended may have been the last one a held answer waited for.
    const settled = call.state.is === "verifying" ? this.settle(job, call, call.state, d.at) : null;
    this.event(job, d, { seq: d.seq, attempt: d.attempt, node: d.node, detail: settled ? `${detail}; ${settled.detail}` : detail });
    return { effect: "job", job: d.job, ...(settled?.quarantined.length ? { quarantined: settled.quarantined } : {}) };
  }

  private cancel(d: Extract<Decision, { type: "job.cancelled" }>): Applied {
    return this.finish(d.job, d.at, { error: { kind: "cancelled", name: "JobCancelled", message: d.reason } }, d);
  }

  /**
   * Ends a running job. Its running sub-jobs end with it (cancelled); its parent's call gets the
   * result. A sub-job's own error is a result the parent may catch; anything else (a fatal
   * failure: nondeterminism, an unknown stage, a wait cycle) ends the parent the same way.
   */
  private finish(id: JobId, at: number, end: { output: Payload } | { error: JobError }, d: Decision): Applied {
    const job = this.jobs.get(id);
    if (!job || job.status !== "running") return this.stale();
    const ended: JobId[] = [];
    this.end(job, at, end, d, ended);
    // A sub-job's end is news for its parent, which may now continue.
    return { effect: "job", job: job.parent?.job ?? id, ended };
  }

  private end(job: JobRecord, at: number, end: { output: Payload } | { error: JobError }, d: Decision, ended: JobId[]): void {
    ended.push(job.id);
    job.status = "output" in end ? "done" : end.error.kind === "cancelled" ? "cancelled" : "failed";
    job.finishedAt = at;
    if ("output" in end) job.output = end.output;
    else job.error = end.error;
    if (d.type === "job.cancelled") job.cancelledBy = d.by;
    this.running.delete(job.id);
    const by = d.type === "job.cancelled" ? ` (${describeCanceller(d.by)})` : "";
    this.event(job, d, "error" in end ? { detail: `${end.error.name}: ${end.error.message}${by}` } : {});
    for (const call of job.calls) {
      const child = call.kind === "job" ? this.jobs.get(call.child) : undefined;
      if (child?.status === "running") this.end(child, at, { error: { kind: "cancelled", name: "JobCancelled", message: `parent job ${job.id} ended` } }, d, ended);
    }
    if (job.parent) this.answerParent(job, at, end, d, ended);
    else this.retire(job.id);
  }

  private answerParent(child: JobRecord, at: number, end: { output: Payload } | { error: JobError }, d: Decision, ended: JobId[]): void {
    const parent = this.jobs.get(child.parent!.job);
    const call = parent?.calls[child.parent!.seq];
    if (!parent || parent.status !== "running" || call?.kind !== "job" || call.state.is === "done") return;
    if ("error" in end && end.error.kind !== "error" && end.error.kind !== "cancelled") {
      this.end(parent, at, end, d, ended);
      return;
    }
    const failure: CallFailure | null = "error" in end ? { name: end.error.name, message: end.error.message } : null;
    this.settledNow.push({ job: parent.id, seq: call.seq });
    call.state = { is: "done", outcome: failure ? { ok: false, error: failure } : { ok: true, value: (end as { output: Payload }).output }, finishedAt: at };
    this.event(parent, d, { seq: call.seq, detail: failure ? `sub-job ${child.id} failed: ${failure.message}` : `sub-job ${child.id} done` });
  }

  /** Hand the finished tree over (retiredByLastApply); forget the oldest finished trees beyond the retention limit. */
  private retire(root: JobId): void {
    this.retiredNow.push(this.tree(root));
    this.finishedOrder.push(root);
    while (this.finishedOrder.length > this.options.retainFinished) this.forget(this.finishedOrder.shift()!);
  }

  /** A job and every sub-job below it, the job first. */
  private tree(id: JobId, into: JobRecord[] = []): JobRecord[] {
    const job = this.jobs.get(id);
    if (!job) return into;
    into.push(job);
    for (const call of job.calls) if (call.kind === "job") this.tree(call.child, into);
    return into;
  }

  /**
   * Hands over every finished tree this state keeps, oldest first, and forgets them: for a
   * commander that adopts a snapshot taken while finished jobs still lived in the state.
   */
  releaseFinished(): JobRecord[][] {
    const trees = this.finishedOrder.map((root) => this.tree(root));
    for (const root of this.finishedOrder) this.forget(root);
    this.finishedOrder = [];
    return trees;
  }

  private forget(id: JobId): void {
    for (const job of this.tree(id)) this.jobs.delete(job.id);
  }
}
