/**
 * The job plane's rules as one state machine, in the style of etcd-raft's RawNode: the shell
 * (runtime/jobs/job-driver.ts) steps it with an input — an applied decision, a timer firing, a
 * change of leadership, a runner's heartbeat, a send that failed, a proposal that settled — and
 * gets back what to do: rows to persist, waiters to wake, calls to send, log lines, and, through
 * takeWork(), decisions to propose and jobs to step. No clock (every input carries `now`), no
 * I/O, no promises; the job-plane simulation (runtime/sim/job-sim.ts) and the unit tests drive
 * the same machine through the shell or directly.
 *
 * Lanes. A decision is made from the state as it is; one made while an earlier decision for the
 * same job is still being chosen could contradict it (two replacements for one attempt). So work
 * is queued per lane — a job's id, or a node's lane for decisions about the node — and a lane
 * hands out one task at a time: the next is decided, from the state as it then is, only once the
 * shell says the last settled. The shell's own exclusive work (a submit) takes a turn in a lane
 * like any other task.
 */
import type { LearningScheduler, NodeSuspicion } from "../sched/scheduler.ts";
import type { Registry } from "../sdk/registry.ts";
import type { Draft } from "./advance.ts";
import { type AttemptRef, type Ending, type RecoveryContext, DEFAULT_STAGE_TIMEOUT_MS, SPECULATIVE, attemptEnded, attemptTimeoutMs, awaited, backupOf, comesBack, drains, nextAttempt } from "./recovery.ts";
import { type Candidate, type Decision, INLINE_NODE, type JobId, type NodeId, type NodeLoad, type NodeSpec, WORKER_NODE } from "./decisions.ts";
import { AttemptWatch } from "./attempt-watch.ts";
import { DEFAULT_NODE_EXPIRY_MS, type Hearing, expiredNodes } from "./nodes.ts";
import { type OpenAttempt, OpenAttempts, attemptKey } from "./open-attempts.ts";
import { SendWindows, runnerWindow } from "./send-windows.ts";
import { speedFor } from "./placement.ts";
import { type RetiredJob, retiredRows } from "./retention.ts";
import { type JobRecord, JobsState, type JobsSnapshot, type NodeStatus, heldAnswers, outstanding, refusalOf } from "./state.ts";
import { type VerifyPolicy, countable } from "./verification.ts";

/** While remote calls are out, the leader looks for stragglers and failing nodes this often. */
export const WATCH_MS = 250;

/**
 * A leader whose timer fired this much later than it was set for was stalled itself: its thread
 * was held (local workerd runs everything on one, and a deployed isolate can be busy too), so
 * results and heartbeats that did not reach it meanwhile say nothing about the runners. It judges
 * no runner (no drain, no backup) until as long again has passed: the backlog it caught up on
 * arrives meanwhile. Cassandra's failure detector does the same ("not marking nodes down due to
 * local pause"). Deadlines still expire: they are the calls' own limits, not a judgement.
 */
export const LOCAL_PAUSE_MS = 500;

/** The lane of decisions about a node (job ids never look like this). */
export const nodeLane = (node: NodeId): string => `node ${node}`;

export interface JobCoreOptions {
  readonly registry: Registry;
  /** Placement, and what it learns from every applied decision and heartbeat (pure: `now` comes in). */
  readonly scheduler: LearningScheduler;
  /** Built-in backends (inline, worker) as this deployment describes them. */
  readonly builtins: readonly NodeSpec[];
  readonly verify?: VerifyPolicy;
  /** A runner the leader has not heard from this long is removed (NODE_EXPIRY_MS). */
  readonly nodeExpiryMs?: number;
  /** The commander incarnation this machine decides for: it names itself in its decisions. */
  readonly self: () => string;
  readonly broken?: CoreBrokenRules;
}

/** Rules of the core broken on purpose, one flag each: only the job-plane simulation's variants set them (runtime/sim/job-variants.ts). */
export interface CoreBrokenRules {
  /** A call that has its result takes a later one too (JobsStateOptions.acceptSecondResult). */
  readonly acceptSecondResult?: boolean;
  /** A commander that takes over forgets the deadlines of the calls it inherited. */
  readonly forgetDeadlinesOnTakeover?: boolean;
}

/** What a failed step of a job logs, whichever task the step was. */
export const ADVANCE_FAILED = "advancing the job failed; the next leader or poke retries";

export type Input =
  /** A chosen decision, applied in log order on every commander; `leading`: whether this one leads now. */
  | { readonly type: "applied"; readonly decision: Decision; readonly slot: number; readonly leading: boolean }
  /** A snapshot of the state through `through` replaces the state. */
  | { readonly type: "restored"; readonly snapshot: JobsSnapshot; readonly through: number }
  /** This commander was elected; earlier leaders' decisions may still be unapplied. */
  | { readonly type: "elected"; readonly now: number }
  /** Elected and caught up: take over what earlier incarnations left. */
  | { readonly type: "resumed"; readonly now: number }
  /** The leader's timer fired; `due`: when it was set to (absent for other wakes, such as an alarm). */
  | { readonly type: "tick"; readonly now: number; readonly due?: number }
  /** A call could not be handed to its backend. */
  | { readonly type: "send-failed"; readonly attempt: AttemptRef; readonly why: string; readonly ending: Ending }
  /** A runner's queue was full: the send waits for room (send-windows.ts). */
  | { readonly type: "send-busy"; readonly send: Send; readonly now: number }
  /**
   * Each attempt's node handed back its result, which is now being proposed: it holds no room
   * there any more, so the next sends go now rather than a Paxos round later, when the results
   * are applied. Locally a round is many milliseconds on the one thread: waiting for it left a
   * runner idle between windows and the stage Worker (one slot in `paxflow dev`) one call a round.
   */
  | { readonly type: "answered"; readonly attempts: readonly AttemptRef[] }
  /** The task a lane handed out is over (`ok`: its proposal was chosen). */
  | { readonly type: "settled"; readonly lane: string; readonly ok: boolean; readonly now: number }
  /** The shell wants a turn of its own in a lane (given back by `settled`). */
  | { readonly type: "turn"; readonly lane: string; readonly token: number };

export interface LogLine {
  readonly level: "info" | "warn";
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A remote call the leader dispatched: the shell sends it. */
export interface Send {
  readonly decision: Extract<Decision, { type: "call.dispatched" }>;
  readonly deadlineAt: number;
}

/** What the shell does after a step, in this order: persist, then wake, then the rest. */
export interface Ready {
  /** Finished job trees, written before anyone waiting on them is woken (they read them from the store). */
  readonly persist: RetiredJob<JobRecord>[];
  /** Calls whose result was settled, for the runs the shell keeps (live-jobs.ts). */
  readonly settled: { readonly job: JobId; readonly seq: number }[];
  /** Jobs that ended: their runs go. */
  readonly ended: JobId[];
  /** Jobs whose waiters (long polls) look again. */
  readonly wake: JobId[];
  readonly send: Send[];
  readonly log: LogLine[];
}

/** Work a lane hands out: the shell does it, then steps `settled` with the lane. */
export type Task =
  | { readonly kind: "propose"; readonly lane: string; readonly decisions: readonly (Draft | Decision)[]; readonly failure: string }
  /** Step the job's generator (the shell holds it and opens its payloads) and propose what it decides. */
  | { readonly kind: "advance"; readonly lane: JobId }
  | { readonly kind: "turn"; readonly lane: string; readonly token: number };

type Work =
  | { readonly kind: "advance" }
  | { readonly kind: "expire"; readonly attempt: OpenAttempt; readonly why: string; readonly ending: Ending }
  | { readonly kind: "backup"; readonly key: string; readonly backup: Candidate; readonly reason: string }
  | { readonly kind: "drain"; readonly suspicion: NodeSuspicion }
  | { readonly kind: "remove"; readonly node: NodeId; readonly silentMs: number }
  | { readonly kind: "turn"; readonly token: number };

interface Lane {
  readonly queue: Work[];
  /** The work whose task is out, until it settles. */
  out: Work | null;
  /** An advance is queued and not handed out yet: more pokes add nothing. */
  advanceQueued: boolean;
}

const emptyReady = (): Ready => ({ persist: [], settled: [], ended: [], wake: [], send: [], log: [] });

export class JobCore {
  readonly state: JobsState;
  private readonly o: JobCoreOptions;
  /** Remote attempts with no result yet, and their deadlines. */
  private readonly open = new OpenAttempts();
  /** The calls each step looks at for a missing attempt (attempt-watch.ts). */
  private readonly watch = new AttemptWatch();
  private readonly lanes = new Map<string, Lane>();
  /** Lanes with queued work and no task out. */
  private readonly runnable = new Set<string>();
  /** Attempts an expire is queued or out for: a timer firing again while it is chosen adds nothing. */
  private readonly expiring = new Set<string>();
  private readonly beats = new Map<NodeId, { readonly at: number; readonly load: NodeLoad }>();
  /** Sends to runners and the stage Worker past what each holds at once wait here (send-windows.ts). */
  private readonly windows = new SendWindows<Send>();
  /** When this incarnation began to lead: heartbeats before then went to another commander. */
  private leadingSince = 0;
  /** After a stall of this leader's own (LOCAL_PAUSE_MS): no runner is judged before this time. */
  private judgeFrom = 0;
  /** When the next silent runner would expire, as of the last look (heartbeats only push it later). */
  private expiryAt: number | null = null;
  private ready: Ready = emptyReady();

  constructor(options: JobCoreOptions) {
    this.o = options;
    // Finished trees leave memory as they end, for the store (see persist).
    this.state = new JobsState({ retainFinished: 0, ...(options.broken?.acceptSecondResult ? { acceptSecondResult: true } : {}) });
  }

  step(input: Input): Ready {
    this.ready = emptyReady();
    switch (input.type) {
      case "applied":
        this.applied(input.decision, input.slot, input.leading);
        break;
      case "restored":
        this.restored(input.snapshot, input.through);
        break;
      case "elected":
        this.leadingSince = input.now;
        this.watch.everything();
        break;
      case "resumed":
        this.resumed(input.now);
        break;
      case "tick":
        this.tick(input.now, input.due);
        break;
      case "send-failed": {
        const open = this.open.get(input.attempt.job, input.attempt.seq, input.attempt.attempt);
        if (open) this.expire(open, input.why, input.ending);
        break;
      }
      case "send-busy": {
        const d = input.send.decision;
        this.windows.busy(d.node, attemptKey(d.job, d.seq, d.attempt), input.send, input.now);
        break;
      }
      case "answered":
        for (const ref of input.attempts) {
          const open = this.open.get(ref.job, ref.seq, ref.attempt);
          // Only an answer from the node the attempt went to makes room there.
          if (open?.node === ref.node) this.ended(open, true);
        }
        break;
      case "settled":
        this.settled(input.lane, input.ok);
        break;
      case "turn":
        this.enqueue(input.lane, { kind: "turn", token: input.token });
        break;
    }
    return this.ready;
  }

  /** Whether takeWork would hand anything out. */
  get hasWork(): boolean {
    return this.runnable.size > 0;
  }

  /**
   * The next task of every lane that has none out, decided now from the state as it is (work
   * that no longer matters is dropped on the way). `leading`: a follower steps no job.
   */
  takeWork(now: number, leading: boolean): Task[] {
    const tasks: Task[] = [];
    for (const name of [...this.runnable]) {
      this.runnable.delete(name);
      const lane = this.lanes.get(name)!;
      while (lane.out === null && lane.queue.length > 0) {
        const work = lane.queue.shift()!;
        const task = this.decide(name, lane, work, now, leading);
        if (task) {
          lane.out = work;
          tasks.push(task);
        }
      }
      if (lane.out === null) this.lanes.delete(name);
    }
    return tasks;
  }

  /**
   * When the leader should look again: the next deadline of a call out (and meanwhile every
   * WATCH_MS for stragglers and failing nodes), or when the next silent runner would expire.
   */
  wakeAt(now: number): number | null {
    const deadline = this.open.nextDeadline();
    // A deadline already passed is being handled (its expire is queued or out, or failed and is
    // retried at the next look): looking again at once would only spin.
    const watch = deadline === null ? null : deadline > now ? Math.min(deadline, now + WATCH_MS) : now + WATCH_MS;
    const times = [watch, this.expiryAt, this.windows.nextRetry()].filter((t): t is number => t !== null);
    return times.length === 0 ? null : Math.min(...times);
  }

  /** The earliest deadline of a call in flight, or null (the Durable Object's alarm). */
  nextDeadline(): number | null {
    return this.open.nextDeadline();
  }

  /** The attempt out, if still open (its deadline goes to the runner with the call). */
  openAttempt(job: JobId, seq: number, attempt: number): OpenAttempt | undefined {
    return this.open.get(job, seq, attempt);
  }

  /**
   * A runner's heartbeat (not in the log: the leader's own hearing). Null for a node the shard
   * does not know; `probe`: it was unresponsive and looks alive again, so the shell asks for its
   * load and proposes `node.back`.
   */
  heard(id: NodeId, load: NodeLoad, now: number): { readonly status: NodeStatus; readonly reason?: string; readonly probe: boolean } | null {
    const node = this.state.node(id);
    if (!node) return null;
    if (node.quarantine) return { status: "quarantined", reason: node.quarantine.reason, probe: false };
    this.beats.set(id, { at: now, load });
    this.o.scheduler.heartbeat(id, load, now);
    const verdict = this.o.scheduler.suspicions(now).find((s) => s.node === id)?.verdict ?? "healthy";
    return { status: node.status, probe: node.status === "unresponsive" && comesBack(verdict) };
  }

  /** The last heartbeat this leader heard from each runner. */
  get heartbeats(): ReadonlyMap<NodeId, { readonly at: number; readonly load: NodeLoad }> {
    return this.beats;
  }

  /** What recovery.ts's rules consult: the state now, and this leader's placement. */
  recovery(): RecoveryContext {
    return { state: this.state, registry: this.o.registry, by: this.o.self(), verify: this.o.verify, place: (request) => this.o.scheduler.place(request) };
  }

  // ---- the learner: every commander applies every decision ------------------------------

  private applied(d: Decision, slot: number, leading: boolean): void {
    const effect = this.state.apply(d);
    const ready = this.ready;
    if (this.state.retiredByLastApply.length > 0) ready.persist.push(...retiredRows(this.state.retiredByLastApply, slot, this.state.appliedAt));
    ready.settled.push(...this.state.settledByLastApply);
    this.watch.applied(d, effect);
    if (effect.effect === "none") return;
    this.learn(d);
    if (effect.effect === "job") for (const node of effect.quarantined ?? []) this.quarantined(node, d.at, leading);
    if (d.type === "node.quarantined") this.quarantined(d.node, d.at, leading);
    if (d.type === "node.removed") this.removed(d.node, d.reason, leading);
    if (d.type === "node.registered") this.expiryAt = this.silence(d.at).nextAt;
    if ("job" in d) ready.wake.push(d.job);
    if (effect.effect === "job") {
      for (const job of [effect.job, ...(effect.ended ?? [])]) {
        ready.wake.push(job);
        // An ended job needs no generator, waits on no attempt, and needs no more.
        if (this.state.job(job)?.status !== "running") {
          ready.ended.push(job);
          for (const a of this.open.closeJob(job)) this.ended(a, false);
          this.watch.forget(job);
        }
      }
    }
    switch (d.type) {
      case "call.dispatched":
        if (d.node === INLINE_NODE) break;
        this.track(d);
        if (leading && d.by === this.o.self()) this.send({ decision: d, deadlineAt: this.open.get(d.job, d.seq, d.attempt)!.deadline });
        break;
      case "call.result":
      case "call.timeout":
        this.close(d.job, d.seq, d.attempt, d.type === "call.result");
        break;
    }
    if (effect.effect === "job" && leading) this.poke(effect.job);
  }

  /** What the scheduler learns from: every applied decision, on every commander (so a successor knows it too). */
  private learn(d: Decision): void {
    const scheduler = this.o.scheduler;
    switch (d.type) {
      case "node.registered":
        if (this.state.distrusted(d.node.id)) scheduler.nodeDown(d.node.id, d.at, "quarantined");
        else scheduler.nodeUp(d.node, d.at);
        return;
      case "node.back": {
        const spec = this.state.node(d.node)?.spec;
        if (spec) scheduler.nodeUp(spec, d.at);
        scheduler.heartbeat(d.node, d.load, d.at);
        return;
      }
      case "node.unresponsive":
        scheduler.nodeDown(d.node, d.at, "unresponsive");
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
      case "call.result": {
        const call = this.state.job(d.job)?.calls[d.seq];
        const attempt = call?.kind === "stage" ? call.attempts[d.attempt - 1] : undefined;
        // A refusal for other code (state.ts) ran nothing: neither the node's error nor a run time to learn from.
        if (attempt && refusalOf(attempt)) {
          scheduler.abandoned?.(attemptKey(d.job, d.seq, d.attempt), d.at);
          return;
        }
        scheduler.completed({
          key: attemptKey(d.job, d.seq, d.attempt),
          ok: d.outcome.ok,
          startedAt: d.startedAt,
          finishedAt: d.finishedAt,
          outputBytes: d.outcome.ok ? d.outcome.value.bytes : 0,
          at: d.at,
        });
        // The call has its result: its other attempts out (a backup's loser) will never be reported, so they stop counting as work on their nodes.
        if (call?.kind === "stage" && call.state.is === "done") for (const t of outstanding(call)) scheduler.abandoned?.(attemptKey(d.job, d.seq, t.attempt), d.at);
        return;
      }
      case "call.timeout":
        scheduler.timedOut(attemptKey(d.job, d.seq, d.attempt), d.at);
        return;
      default:
        return;
    }
  }

  /**
   * Hands a dispatched call to the shell, or to its node's window when the node holds enough of
   * ours already: a runner its slots and queue; the stage Worker its slots (WORKER_SLOTS), since
   * it has no queue of its own (with WORKER_SLOTS=1 locally, the calls re-sent from a drained
   * runner all went there at once and held the API's thread for 45 s).
   */
  private send(s: Send): void {
    const d = s.decision;
    const spec = this.o.builtins.find((b) => b.id === d.node) ?? this.state.node(d.node)?.spec;
    const limit = spec?.kind === "runner" ? runnerWindow(spec.slots) : spec?.kind === "worker" ? spec.slots : null;
    if (limit === null) this.ready.send.push(s);
    else this.ready.send.push(...this.windows.dispatched(d.node, limit, attemptKey(d.job, d.seq, d.attempt), s, this.unanswered));
  }

  /** Whether a call waiting for room on its runner still needs sending: its attempt is open and its call has no result. */
  private readonly unanswered = (key: string): boolean => {
    const a = this.open.byKey(key);
    return a !== undefined && this.state.job(a.job)?.calls[a.seq]?.state.is !== "done";
  };

  /** The attempt got its result (`answered`) or its end: no deadline, and its runner has room for the next. */
  private close(job: JobId, seq: number, attempt: number, answered: boolean): void {
    const a = this.open.close(job, seq, attempt);
    if (a) this.ended(a, answered);
  }

  private ended(a: OpenAttempt, answered: boolean): void {
    this.ready.send.push(...this.windows.ended(a.node, attemptKey(a.job, a.seq, a.attempt), answered, this.unanswered));
  }

  /** A node caught disagreeing with the majority: no new work, and its calls in flight go elsewhere now (its answers would be refused anyway). */
  private quarantined(node: NodeId, at: number, leading: boolean): void {
    this.o.scheduler.nodeDown(node, at, "quarantined");
    this.warn("node quarantined", { node, reason: this.state.node(node)?.quarantine?.reason ?? "it disagreed with the majority" });
    if (leading) this.moveCallsOff(node, `${node} is quarantined`, "refused");
  }

  /** A node left the shard (deleted, or silent too long): its calls in flight go elsewhere, as for an unresponsive node. */
  private removed(node: NodeId, reason: string, leading: boolean): void {
    this.beats.delete(node);
    this.windows.forget(node);
    this.warn("node removed", { node, reason });
    if (leading) this.moveCallsOff(node, `${node} was removed (${reason})`, "silent");
  }

  /** The leader gives up on every attempt out on `node`, now rather than at their deadlines. */
  private moveCallsOff(node: NodeId, why: string, ending: Exclude<Ending, "orphaned">): void {
    for (const a of this.open.onNode(node)) this.expire(a, why, ending);
  }

  private restored(snapshot: JobsSnapshot, through: number): void {
    this.state.restore(snapshot);
    // Taken before finished jobs moved to disk: they come out of the snapshot into the store,
    // their retention counted from their end (such a snapshot has no log clock of its own).
    for (const tree of this.state.releaseFinished()) this.ready.persist.push(...retiredRows([tree], through, tree[0]?.finishedAt ?? this.state.appliedAt));
    this.watch.everything();
    this.reopen();
  }

  /** After a snapshot: the attempts still waiting for a result, and the nodes as the state has them. */
  private reopen(): void {
    for (const node of this.state.allNodes()) {
      if (node.status === "up") this.o.scheduler.nodeUp(node.spec, node.since);
      else this.o.scheduler.nodeDown(node.spec.id, node.since, node.status);
    }
    this.open.clear();
    // Sends still waiting for room are forgotten with the attempts: they are given up at their deadlines.
    this.windows.clear();
    for (const id of this.state.runningJobs()) {
      for (const call of this.state.job(id)!.calls) {
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
    const spec = this.o.builtins.find((b) => b.id === d.node) ?? this.state.node(d.node)?.spec;
    const speed = stage && spec ? speedFor(spec.speed, { ...stage, ref: d.stage }) : 1;
    const timeoutMs = attemptTimeoutMs(stage?.timeoutMs ?? DEFAULT_STAGE_TIMEOUT_MS, speed, d.predicted);
    this.open.add({ job: d.job, seq: d.seq, attempt: d.attempt, node: d.node, deadline: d.at + timeoutMs, runMs: d.predicted.runMs });
  }

  // ---- leadership -----------------------------------------------------------------------

  /**
   * After a takeover: calls that a previous incarnation sent inline or to the stage Worker died
   * with it, so they go out again now; calls on runners keep their deadlines (the runner answers
   * the API, which finds us). Then every running job is stepped from the log.
   */
  private resumed(now: number): void {
    const self = this.o.self();
    const running = this.state.runningJobs();
    for (const id of running) {
      for (const call of this.state.job(id)!.calls) {
        for (const last of awaited(call)) {
          if (last.by === self || (last.node !== INLINE_NODE && last.node !== WORKER_NODE)) continue;
          const open = this.open.get(id, call.seq, last.attempt);
          this.expire(open ?? { job: id, seq: call.seq, attempt: last.attempt, node: last.node, deadline: 0, runMs: 0 }, "dispatched by a commander incarnation that is gone", "orphaned");
        }
      }
    }
    for (const id of running) this.poke(id);
    // The broken variant forgets the deadlines of every call it inherited: they never expire.
    if (this.o.broken?.forgetDeadlinesOnTakeover) this.open.clear();
    this.expiryAt = this.silence(now).nextAt;
  }

  // ---- the timer ------------------------------------------------------------------------

  /** Expired deadlines, silent runners, failing nodes and stragglers, each queued in its lane. */
  private tick(now: number, dueAt: number | undefined): void {
    this.ready.send.push(...this.windows.due(now, this.unanswered));
    if (dueAt !== undefined && now - dueAt > LOCAL_PAUSE_MS) {
      if (now >= this.judgeFrom) this.warn("not judging runners for now: this leader was stalled itself", { stalledMs: now - dueAt });
      this.judgeFrom = Math.max(this.judgeFrom, now + (now - dueAt));
    }
    const due = this.open.due(now);
    for (const a of due) this.expire(a, "no result within its deadline", "silent");
    const { expired, nextAt } = this.silence(now);
    this.expiryAt = nextAt;
    for (const { id, silentMs } of expired) this.enqueue(nodeLane(id), { kind: "remove", node: id, silentMs });
    // After the removals in the node's lane: marking a silent node unresponsive would count as news from it.
    const leaving = new Set<NodeId>(expired.map((e) => e.id));
    if (now < this.judgeFrom) return;
    for (const s of this.o.scheduler.suspicions(now)) {
      if (!drains(s, this.state.node(s.node)?.status)) continue;
      leaving.add(s.node);
      this.enqueue(nodeLane(s.node), { kind: "drain", suspicion: s });
    }
    // No backup of an attempt that is being given up on (its deadline passed, or its node is
    // leaving): it is replaced, and recorded as ended, which a backup's result would pre-empt.
    const ending = new Set(due.map((a) => attemptKey(a.job, a.seq, a.attempt)));
    for (const advice of this.o.scheduler.stragglers(now)) {
      const open = this.open.byKey(advice.key);
      if (open && !ending.has(advice.key) && !leaving.has(open.node)) this.enqueue(open.job, { kind: "backup", key: advice.key, backup: advice.backup, reason: advice.reason });
    }
  }

  private get nodeExpiryMs(): number {
    return this.o.nodeExpiryMs ?? DEFAULT_NODE_EXPIRY_MS;
  }

  /** Which runners are silent past the expiry at `now`, by what this leader heard, and when the next will be. */
  private silence(now: number) {
    const hearing = (id: NodeId): Hearing => {
      const beat = this.beats.get(id);
      return { leadingSince: this.leadingSince, ...(beat ? { heartbeatAt: beat.at } : {}) };
    };
    return expiredNodes(this.state.allNodes(), hearing, now, this.nodeExpiryMs);
  }

  // ---- lanes ----------------------------------------------------------------------------

  /** The job is to be stepped once its lane is free (pokes meanwhile add nothing). */
  private poke(job: JobId): void {
    const lane = this.lane(job);
    if (lane.advanceQueued) return;
    lane.advanceQueued = true;
    this.enqueue(job, { kind: "advance" });
  }

  private expire(a: OpenAttempt, why: string, ending: Ending): void {
    const key = attemptKey(a.job, a.seq, a.attempt);
    if (this.expiring.has(key)) return;
    this.expiring.add(key);
    this.enqueue(a.job, { kind: "expire", attempt: a, why, ending });
  }

  private lane(name: string): Lane {
    let lane = this.lanes.get(name);
    if (!lane) this.lanes.set(name, (lane = { queue: [], out: null, advanceQueued: false }));
    return lane;
  }

  private enqueue(name: string, work: Work): void {
    const lane = this.lane(name);
    lane.queue.push(work);
    if (lane.out === null) this.runnable.add(name);
  }

  private settled(name: string, ok: boolean): void {
    const lane = this.lanes.get(name);
    const out = lane?.out;
    if (!lane || !out) return;
    lane.out = null;
    if (out.kind === "expire") this.expiring.delete(attemptKey(out.attempt.job, out.attempt.seq, out.attempt.attempt));
    // Drained once chosen: its calls in flight go elsewhere now rather than at their deadlines (a late answer still counts).
    if (out.kind === "drain" && ok) {
      const s = out.suspicion;
      this.moveCallsOff(s.node, `drained: ${s.node} is ${s.verdict} (${s.reason})`, "refused");
    }
    if (lane.queue.length > 0) this.runnable.add(name);
    else this.lanes.delete(name);
  }

  /** The task for one piece of work, decided from the state now; null when it no longer matters. */
  private decide(name: string, lane: Lane, work: Work, now: number, leading: boolean): Task | null {
    switch (work.kind) {
      case "advance": {
        lane.advanceQueued = false;
        const job = this.state.job(name);
        if (!leading || !job || job.status !== "running") return null;
        // Calls that cannot get (or agree on) a result with the attempts they have out: another node first.
        const missing = this.missingAttempt(job, now);
        return missing ? { kind: "propose", lane: name, decisions: [missing], failure: ADVANCE_FAILED } : { kind: "advance", lane: name };
      }
      case "expire": {
        const decisions = attemptEnded(this.recovery(), work.attempt, work.why, work.ending, now);
        if (decisions !== null) return { kind: "propose", lane: name, decisions, failure: "re-dispatching failed" };
        this.expiring.delete(attemptKey(work.attempt.job, work.attempt.seq, work.attempt.attempt));
        this.close(work.attempt.job, work.attempt.seq, work.attempt.attempt, false);
        return null;
      }
      case "backup": {
        const open = this.open.byKey(work.key);
        const backup = open && backupOf(this.recovery(), open, work.backup, work.reason, now);
        return backup ? { kind: "propose", lane: name, decisions: [backup], failure: "speculative backup failed" } : null;
      }
      case "drain": {
        const s = work.suspicion;
        if (!drains(s, this.state.node(s.node)?.status)) return null;
        return { kind: "propose", lane: name, decisions: [{ type: "node.unresponsive", node: s.node, at: now, reason: `${s.verdict}: ${s.reason}` }], failure: "marking a node unresponsive failed" };
      }
      case "remove": {
        if (!this.state.node(work.node)) return null;
        const reason = `no word from it for ${Math.round(work.silentMs / 1_000)} s (NODE_EXPIRY_MS is ${this.nodeExpiryMs})`;
        return { kind: "propose", lane: name, decisions: [{ type: "node.removed", node: work.node, at: now, reason }], failure: "removing a silent node failed; the next tick retries" };
      }
      case "turn":
        return { kind: "turn", lane: name, token: work.token };
    }
  }

  /**
   * The next attempt of a stage call that cannot get a result with the attempts it has out: a
   * verified call whose two answers differ (a third node decides) or whose answer came from a
   * node since quarantined; any call whose every attempt ended without a result (its next
   * dispatch was refused, say, because its node was quarantined in between). One call at a
   * time: the next one's attempt numbers follow from the state once this is applied.
   */
  private missingAttempt(job: JobRecord, now: number): Draft | Decision | null {
    const call = this.watch.firstNeeding(job, this.state);
    if (!call) return null;
    const answers = countable(heldAnswers(call), (n) => this.state.distrusted(n));
    const last = call.attempts.at(-1)!;
    const refused = refusalOf(last);
    const why =
      answers.length > 1
        ? `the answers of ${answers.map((a) => a.node).join(" and ")} differed (another node decides)`
        : call.state.is === "verifying"
          ? "a verifying attempt ended without an answer"
          : refused
            ? `${last.node} bundles other code for ${call.target} (${refused.registryDigest}; the call's is ${refused.callDigest})`
            : "every attempt ended without a result";
    return nextAttempt(this.recovery(), job, call, now, why);
  }

  private warn(message: string, fields: Record<string, unknown>): void {
    this.ready.log.push({ level: "warn", message, fields });
  }
}
