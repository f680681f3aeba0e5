/**
 * The schedule simulator's command plane: a shell around the product's job-plane core
 * (core/jobs/job-core.ts), as runtime/jobs/job-driver.ts is in production, with a log in which
 * every proposal is chosen at once (one commander, leading throughout; control messages are
 * free). Every rule — deadlines and timeouts, drains of failing nodes, speculative backups,
 * re-dispatches, which result counts, a node coming back — is the core's; this shell only
 * turns its tasks into applied decisions, hands its sends to the simulated nodes, and puts the
 * nodes' heartbeats and results in. Pure: no I/O, no clock.
 *
 * The job's step is the simulator's: a generator job cannot express a DAG's per-task readiness
 * (it waits for all of a batch), so `advance` tasks are answered by the caller's body, whose
 * fresh calls are drafted by the same functions as a job's (advance.ts placeTogether and
 * firstDispatch).
 */
import { type Draft, type FreshCall, type Sealable, firstDispatch, newPass, placeTogether } from "../../jobs/advance.ts";
import type { Decision, Ending, JobId, NodeId, NodeLoad, NodeSpec } from "../../jobs/decisions.ts";
import { type Input, JobCore, type Ready, type Send } from "../../jobs/job-core.ts";
import { type Payload, inlinePayload } from "../../jobs/payload.ts";
import { type AttemptRef, verifyReasonFor } from "../../jobs/recovery.ts";
import { type Offer, type OfferReply, quarantineOf, replyAfterProposing, replyBeforeProposing } from "../../jobs/result-offers.ts";
import type { VerifyPolicy } from "../../jobs/verification.ts";
import type { LearningScheduler } from "../../sched/scheduler.ts";
import type { Registry } from "../../sdk/registry.ts";

/** The commander incarnation the simulated plane decides as. */
export const SIM_COMMANDER = "sim-commander";

/** What the job's step decides: calls that became ready, or that it is over. */
export type BodyStep = { readonly kind: "calls"; readonly calls: readonly FreshCall[] } | { readonly kind: "done"; readonly output: Sealable };

export interface SimPlaneOptions {
  readonly registry: Registry;
  readonly scheduler: LearningScheduler;
  readonly verify: VerifyPolicy;
  /** The job's step (the simulated DAG's body). */
  step(): BodyStep;
  /** Every decision once applied, in log order (the simulator's world and report follow them). */
  applied(d: Decision): void;
  /** Hands a call to its node; false when the node cannot take it (it is down). */
  deliver(send: Send, now: number): boolean;
}

export class SimPlane {
  readonly core: JobCore;
  private slot = 0;
  private readonly sends: Send[] = [];
  private readonly failed: { attempt: AttemptRef; why: string; ending: Ending }[] = [];

  constructor(private readonly o: SimPlaneOptions) {
    this.core = new JobCore({ registry: o.registry, scheduler: o.scheduler, builtins: [], verify: o.verify, self: () => SIM_COMMANDER });
  }

  /** Registers the nodes, takes the lead, and accepts the job. */
  start(job: JobId, nodes: readonly NodeSpec[], now: number): void {
    for (const node of nodes) this.register(node, now);
    this.input({ type: "elected", now }, now);
    this.input({ type: "resumed", now }, now);
    this.propose([{ type: "job.accepted", job, name: job, input: inlinePayload(new Uint8Array()), at: now }], now);
  }

  /** The leader's timer fired. */
  tick(now: number): void {
    this.input({ type: "tick", now }, now);
  }

  /** When the leader wants its timer (JobCore.wakeAt). */
  wakeAt(now: number): number | null {
    return this.core.wakeAt(now);
  }

  /**
   * A runner's heartbeat, as the driver takes it: one the shard does not know (removed while it
   * was silent) registers again, as a runner told 404 does; one that looks alive again after it
   * was marked unresponsive is probed, and its load brings it back.
   */
  heartbeat(spec: NodeSpec, load: NodeLoad, now: number): void {
    const heard = this.core.heard(spec.id, load, now);
    if (!heard) this.register(spec, now);
    else if (heard.probe) this.propose([{ type: "node.back", node: spec.id, at: now, load }], now);
  }

  /** The leader learns that an attempt will not answer (its node lost it), as when a send fails. */
  lost(attempt: AttemptRef, why: string, ending: Ending, now: number): void {
    this.input({ type: "send-failed", attempt, why, ending }, now);
  }

  /** A runner (re)starting: it registers, with what it measured of itself. */
  register(spec: NodeSpec, now: number): void {
    this.propose([{ type: "node.registered", node: spec, at: now, signedAt: now }], now);
  }

  /** A node offers an attempt's result; the reply says whether it counted (result-offers.ts). */
  offer(offer: Offer, outputBytes: number, now: number): OfferReply {
    const job = this.core.state.job(offer.job);
    const early = replyBeforeProposing(job, offer);
    if (early) return early;
    this.propose([{ type: "call.result", ...offer, outcome: { ok: true, value: { r2: resultKey(offer), bytes: outputBytes } }, at: now }], now);
    return replyAfterProposing(this.core.state.job(offer.job) ?? job!, offer, quarantineOf(this.core.state, offer.node));
  }

  /** Every decision is chosen at once: applied in order, then the work it frees is done. */
  propose(decisions: readonly (Draft | Decision)[], now: number): void {
    for (const d of decisions) this.apply(sealed(d));
    this.flush(now);
  }

  private apply(decision: Decision): void {
    this.take(this.core.step({ type: "applied", decision, slot: ++this.slot, leading: true }));
    this.o.applied(decision);
  }

  private input(input: Input, now: number): void {
    this.take(this.core.step(input));
    this.flush(now);
  }

  private take(ready: Ready): void {
    this.sends.push(...ready.send);
  }

  /** Runs what the core hands out, and delivers its sends, until neither is left. */
  private flush(now: number): void {
    for (;;) {
      const send = this.sends.shift();
      if (send) {
        if (!this.o.deliver(send, now)) this.failed.push({ attempt: send.decision, why: `${send.decision.node} did not take the call: it is down`, ending: "silent" });
        continue;
      }
      const failed = this.failed.shift();
      if (failed) {
        this.take(this.core.step({ type: "send-failed", ...failed }));
        continue;
      }
      if (!this.core.hasWork) return;
      for (const task of this.core.takeWork(now, true)) {
        if (task.kind === "propose") for (const d of task.decisions) this.apply(sealed(d));
        if (task.kind === "advance") for (const d of this.advance(task.lane, now)) this.apply(sealed(d));
        this.take(this.core.step({ type: "settled", lane: task.lane, ok: true, now }));
      }
    }
  }

  /** The job's step: the body's fresh calls, drafted as a job's are, or its end. */
  private advance(id: JobId, now: number): Draft[] {
    const step = this.o.step();
    if (step.kind === "done") return [{ type: "job.finished", job: id, at: now, outcome: { ok: true, output: step.output } }];
    const recovery = this.core.recovery();
    const ctx = { ...recovery, verify: (call: { job: JobId; seq: number; stage: string }, node: NodeId, earlier: number) => verifyReasonFor(recovery, call, node, earlier) };
    const pass = newPass();
    const placed = placeTogether(step.calls, ctx, now, pass);
    const drafts: Draft[] = [];
    // Logged in call order (the log numbers a job's calls in the order it made them), as advance does.
    for (const call of step.calls) {
      const dispatched = firstDispatch(id, placed.get(call.seq)!, ctx, now, pass);
      if (!dispatched.ok) return [{ type: "job.finished", job: id, at: now, outcome: { ok: false, error: dispatched.error } }];
      drafts.push(...dispatched.drafts);
    }
    return drafts;
  }
}

/** Where a simulated result's bytes would be: the simulator moves data itself, the log only names it. */
const resultKey = (o: Pick<Offer, "job" | "seq" | "attempt">): string => `sim/${o.job}/${o.seq}/${o.attempt}`;

/** A value into the log: a reference stays one, a value is carried inline. */
const seal = (s: Sealable): Payload => ("stored" in s ? s.stored : inlinePayload(s.bytes));

function sealed(d: Draft | Decision): Decision {
  switch (d.type) {
    case "job.accepted":
    case "call.dispatched":
      return { ...d, input: isSealable(d.input) ? seal(d.input) : d.input } as Decision;
    case "call.result":
      return d.outcome.ok && isSealable(d.outcome.value) ? ({ ...d, outcome: { ok: true, value: seal(d.outcome.value) } } as Decision) : (d as Decision);
    case "job.finished":
      return d.outcome.ok && isSealable(d.outcome.output) ? ({ ...d, outcome: { ok: true, output: seal(d.outcome.output) } } as Decision) : (d as Decision);
    default:
      return d as Decision;
  }
}

const isSealable = (v: Sealable | Payload): v is Sealable => "stored" in v || "value" in v;
