/**
 * What a job does next, decided from its log: bring the job's generator up to the calls recorded
 * so far (the leader keeps it running between steps: JobRun) and turn what it now asks for into
 * decisions (dispatch a call, start a sub-job, finish). Calls the placement sends inline run right
 * here, and the job keeps going on their results in the same pass, so a job made of small stages
 * can go from accepted to finished in one slot.
 */
import { type Value, CodecError, encode } from "../codec.ts";
import type { Call } from "../sdk/effects.ts";
import { checkJobIdentity } from "../sdk/code-identity.ts";
import { type CallInput, type StoredRef, plainValue, storedRef } from "../sdk/stored.ts";
import { type Registry, asJobRef, digestOf, missingJob, splitRef } from "../sdk/registry.ts";
import { type CallLog, JobRun, type Outcome, type RecordedCall, ancestorCycle, formatChain, formatCycle } from "../sdk/replay.ts";
import { type Decision, INLINE_NODE, type JobError, type JobId, type NodeId } from "./decisions.ts";
import { type InputOn, type Placement, type PlacementRequest, longestFirst } from "./placement.ts";

/**
 * A value on its way into the log: the commander seals it into a Payload (inline or R2). A
 * Stored reference is already sealed: it goes into the log as the payload it names, neither
 * read nor encoded again.
 */
export type Sealable = { readonly value: Value; readonly bytes: Uint8Array } | { readonly stored: StoredRef };

export type Draft = Decision<Sealable>;

export function sealable(value: CallInput): Sealable {
  const ref = storedRef(value);
  if (ref) return { stored: ref };
  const plain = plainValue(value);
  return { value: plain, bytes: encode(plain) };
}

/** Encoded size of a sealable value: the `n` of cost models and placement. */
export const sealedSize = (s: Sealable): number => ("stored" in s ? s.stored.bytes : s.bytes.length);

/** A job as a step needs it: input and recorded calls as values. */
export interface JobSeed {
  readonly id: JobId;
  /**
   * The job's ref, "name@version" (registry.ts jobRef): the code it started on, which it runs to
   * its end on. A bare name is version 1.
   */
  readonly name: string;
  /** The job's code digest it was accepted on (job.accepted's `digest`), when known. */
  readonly digest?: string;
  readonly input: Value;
  readonly calls: CallLog;
  /**
   * The job's generator where the last step left it, when the caller keeps it (a leader does:
   * each step then costs what is new); else the step replays the job from its start.
   */
  readonly run?: JobRun;
  /** Which node produced each finished call's output, by outputKey of its encoding (data locality). */
  readonly outputs: ReadonlyMap<string, NodeId>;
  /** (job, input) of every ancestor job, root first, this job last: the runtime cycle check. */
  readonly ancestry: readonly Call[];
}

export interface InlineRun {
  readonly outcome: Outcome;
  readonly startedAt: number;
  readonly finishedAt: number;
}

export interface AdvanceContext {
  readonly registry: Registry;
  readonly now: number;
  /** The commander incarnation deciding. */
  readonly by: string;
  place(request: Omit<PlacementRequest, "inlineMaxMs">): Placement;
  /** Runs a stage's CPU implementation here and times it. */
  runInline(stage: string, input: Value): InlineRun;
  /** Most calls (stages and sub-jobs) one job may make; past it the job fails. Default DEFAULT_MAX_CALLS_PER_JOB. */
  readonly maxCallsPerJob?: number;
  /** Deepest sub-job (a submitted job is at depth 0); one deeper fails its tree. Default DEFAULT_MAX_JOB_DEPTH. */
  readonly maxJobDepth?: number;
  /** How much one step may do before it hands back what it decided. Default STEP_BUDGET. */
  readonly stepBudget?: StepBudget;
  /**
   * Why a call placed on `node` must be verified on a second node (verification.ts), or null.
   * `earlierThisPass` counts the calls this pass already gave the node (not in the log yet).
   */
  verify?(call: { readonly job: JobId; readonly seq: number; readonly stage: string }, node: NodeId, earlierThisPass: number): string | null;
  /** The nodes known to bundle other code for `stage` than `digest` (state.ts bundlingOther): they would refuse a call dispatched for it. */
  otherCode?(stage: string, digest: string): ReadonlySet<NodeId>;
}

/**
 * Calls one job may make by default (MAX_CALLS_PER_JOB): a runaway loop of calls fails rather
 * than filling the log.
 */
export const DEFAULT_MAX_CALLS_PER_JOB = 10_000;

/**
 * How deep sub-jobs may nest by default (MAX_JOB_DEPTH). Every step of a job walks its ancestry
 * (the wait-cycle check), so a runaway recursion would cost more with every level; it fails
 * instead, like a cycle: the whole tree, with one error naming the chain.
 */
/** Jobs one shard runs at once (MAX_RUNNING_JOBS): they live in the leader's memory. */
export const DEFAULT_MAX_RUNNING_JOBS = 10_000;

export const DEFAULT_MAX_JOB_DEPTH = 64;

/**
 * How much one step may do before it hands back what it decided; the job goes on at its next
 * step, once those decisions are applied. A step runs on the shard's only thread (in workerd,
 * every isolate's), so a chain or fan-out of thousands of calls decided at once would hold up
 * every request and lease meanwhile (placing 10,000 calls took about a second).
 * - `calls`: calls placed (on a node, or run inline) or sub-jobs started.
 * - `inlineMs`: the predicted run time of the calls run inline. Predicted, not measured: the
 *   workerd clock does not move while a step runs.
 */
export interface StepBudget {
  readonly calls: number;
  readonly inlineMs: number;
}

/** About 20-30 ms of a step's work at the sizes bench:scale measures (its longest pause). */
export const STEP_BUDGET: StepBudget = { calls: 256, inlineMs: 20 };

const failure = (kind: JobError["kind"], name: string, message: string): JobError => ({ kind, name, message });

/** A call output's bytes as a map key: equal bytes, equal keys (outputs kept inline are small). */
export function outputKey(bytes: Uint8Array): string {
  let key = "";
  for (let i = 0; i < bytes.length; i += 8_192) key += String.fromCharCode(...bytes.subarray(i, i + 8_192));
  return key;
}

/** Sub-job ids: the parent's id and the call's position, so a retried decision names the same job. */
export const childId = (parent: JobId, seq: number): JobId => `${parent}.${seq}`;

/** A stage call a job made and has not dispatched yet. */
export interface FreshCall {
  readonly seq: number;
  /** The stage's ref ("name@version"). */
  readonly stage: string;
  readonly input: Sealable;
  /** Bytes of its input already on each node (data locality); absent: every node fetches all of it. */
  readonly inputOn?: InputOn;
}

/** A fresh call and where it goes. */
export interface Placed {
  readonly call: FreshCall;
  readonly placement: Placement;
}

/** What the dispatches of one pass share: run time and calls already given to each node, not in the log yet. */
export interface DispatchPass {
  readonly placedMs: Map<NodeId, number>;
  readonly placedCalls: Map<NodeId, number>;
}

// Calls placed in a pass occupy their nodes for the next placements (fan-out spreads).
export const newPass = (): DispatchPass => ({ placedMs: new Map(), placedCalls: new Map() });

/** What placing and drafting a first dispatch consult. */
export type DispatchContext = Pick<AdvanceContext, "registry" | "by" | "place" | "verify" | "otherCode">;

/** A reference's bytes are in R2: running it inline would read and decode them in the commander. */
const notHere = (input: Sealable, also?: NodeId): Set<NodeId> => new Set([...("stored" in input ? [INLINE_NODE] : []), ...(also === undefined ? [] : [also])]);

/**
 * Places calls that became ready together: longest first (placement.ts longestFirst), each
 * occupying its node for the next. Calls of stages not deployed are left out (the caller fails
 * the job on them).
 */
export function placeTogether(calls: readonly FreshCall[], ctx: DispatchContext, now: number, pass: DispatchPass): Map<number, Placed> {
  const declaredRunMs = ({ stage, input }: FreshCall) => Math.max(0, ctx.registry.stages.get(stage)?.cost.runtimeMs(sealedSize(input)) ?? 0);
  const placed = new Map<number, Placed>();
  // A node known to bundle other code for a stage would refuse its calls: another node takes
  // them when one can, else they go there all the same and the refusal says why (recovery.ts).
  // Looked up once per stage, not per call: a fan-out places thousands of calls of one stage.
  const otherCode = new Map<string, ReadonlySet<NodeId>>();
  const avoidFor = (stage: string): ReadonlySet<NodeId> => {
    let avoid = otherCode.get(stage);
    if (avoid === undefined) {
      const digest = digestOf(ctx.registry, "stage", stage);
      avoid = (digest === undefined ? undefined : ctx.otherCode?.(stage, digest)) ?? new Set<NodeId>();
      otherCode.set(stage, avoid);
    }
    return avoid;
  };
  for (const call of longestFirst(calls, declaredRunMs)) {
    const stage = ctx.registry.stages.get(call.stage);
    if (!stage) continue;
    const request = { stage, inputBytes: sealedSize(call.input), inputOn: call.inputOn, now, placedMs: pass.placedMs };
    const avoid = avoidFor(call.stage);
    let placement = ctx.place({ ...request, exclude: avoid.size === 0 ? notHere(call.input) : new Set([...notHere(call.input), ...avoid]) });
    if (!placement.ok && avoid.size > 0) placement = ctx.place({ ...request, exclude: notHere(call.input) });
    placed.set(call.seq, { call, placement });
    if (placement.ok && placement.winner.node !== INLINE_NODE) {
      pass.placedMs.set(placement.winner.node, (pass.placedMs.get(placement.winner.node) ?? 0) + placement.winner.runMs);
    }
  }
  return placed;
}

type Dispatch = Extract<Draft, { type: "call.dispatched" }>;

/**
 * A placed call's first dispatch: attempt 1 on the placement's winner and, when `verify` says the
 * winner's answer needs a second opinion, attempt 2 on the best other node at the same time. The
 * job fails (NoBackend) when no node can take the call. A verifying attempt the commander itself
 * won is the caller's to run.
 */
export function firstDispatch(job: JobId, { call, placement }: Placed, ctx: DispatchContext, now: number, pass: DispatchPass): { ok: true; drafts: Dispatch[] } | { ok: false; error: JobError } {
  if (!placement.ok) {
    return { ok: false, error: failure("error", placement.cause === "cost-model" ? "CostModelError" : "NoBackend", `call ${call.seq} (${call.stage}): ${placement.reason}`) };
  }
  const stage = ctx.registry.stages.get(call.stage)!;
  const { winner, alternatives, reason } = placement;
  const earlier = pass.placedCalls.get(winner.node) ?? 0;
  pass.placedCalls.set(winner.node, earlier + 1);
  const why = winner.node === INLINE_NODE ? null : (ctx.verify?.({ job, seq: call.seq, stage: call.stage }, winner.node, earlier) ?? null);
  // The verifying attempt runs on the best other node, at the same time as the first.
  const second =
    why === null ? null : ctx.place({ stage, inputBytes: sealedSize(call.input), inputOn: call.inputOn, exclude: notHere(call.input, winner.node), now, placedMs: pass.placedMs });
  const dispatch = { type: "call.dispatched", job, seq: call.seq, stage: call.stage, input: call.input, at: now, by: ctx.by, ...codeOf(ctx.registry, "stage", call.stage) } as const;
  const drafts: Dispatch[] = [
    {
      ...dispatch,
      attempt: 1,
      node: winner.node,
      predicted: winner,
      alternatives,
      reason: second && !second.ok ? `${reason}; not verified (${why}): no second node can run it` : reason,
      ...(second?.ok ? { verify: why! } : {}),
    },
  ];
  if (second?.ok) {
    drafts.push({ ...dispatch, attempt: 2, node: second.winner.node, predicted: second.winner, alternatives: second.alternatives, reason: `verifies attempt 1 on ${winner.node} (${why}); ${second.reason}` });
    if (second.winner.node !== INLINE_NODE) pass.placedMs.set(second.winner.node, (pass.placedMs.get(second.winner.node) ?? 0) + second.winner.runMs);
  }
  return { ok: true, drafts };
}

/**
 * A dispatch's or a job acceptance's `digest` field: the stage's or job's code digest as this
 * leader's registry knows it, when it does (code-identity.ts).
 */
export function codeOf(registry: Registry, kind: "stage" | "job", ref: string): { digest?: string } {
  const digest = digestOf(registry, kind, ref);
  return digest === undefined ? {} : { digest };
}

/**
 * Why this registry must not run a job of `ref` accepted on code `digest` (job.accepted's): its
 * code for `ref` has another digest (code-identity.ts checkJobIdentity). Null when they agree or
 * either is unknown.
 */
export function jobCodeRefused(registry: Registry, ref: string, digest: string | undefined): JobError | null {
  const identity = checkJobIdentity(digestOf(registry, "job", ref), digest, ref);
  return identity.ok ? null : { kind: "error", name: identity.error.name, message: identity.error.message, mismatch: identity.error };
}

/**
 * The decisions that move `seed` forward now, in log order. Empty when the job waits for
 * results it already asked for.
 */
export function advance(seed: JobSeed, ctx: AdvanceContext): Draft[] {
  const ref = asJobRef(seed.name);
  const job = ctx.registry.jobs.get(ref);
  const drafts: Draft[] = [];
  // Decision time moves on as inline calls run, so the log's times stay in order.
  let now = ctx.now;
  const finish = (outcome: Extract<Draft, { type: "job.finished" }>["outcome"]) => {
    drafts.push({ type: "job.finished", job: seed.id, at: now, outcome });
    return drafts;
  };
  if (!job) {
    // Its version dropped by a deploy: a clear failure, not a replay on other code (docs/versions.md).
    const missing = missingJob(ctx.registry, ref);
    return finish({ ok: false, error: failure("unknown", missing.name, missing.message) });
  }
  // Accepted on other code under the same name@version: its body is neither run nor replayed
  // here (the recorded calls came from the other code). Logged like any failure, so every
  // commander agrees the job ended.
  const otherCode = jobCodeRefused(ctx.registry, ref, seed.digest);
  if (otherCode) return finish({ ok: false, error: otherCode });
  // What this step runs inline, over the seed's log and outputs (which it does not copy: a copy
  // per step would make a job's cost grow with the square of its calls again).
  const ran = new Map<number, RecordedCall>();
  let ranThrough = 0;
  let ranSettled = 0;
  const log: CallLog = {
    get length() {
      return Math.max(seed.calls.length, ranThrough);
    },
    at: (seq) => ran.get(seq) ?? seed.calls.at(seq),
    // This step records only calls past the seed's end, so the counts add up.
    get settled() {
      return seed.calls.settled === undefined ? undefined : seed.calls.settled + ranSettled;
    },
  };
  const record = (seq: number, call: RecordedCall) => {
    ran.set(seq, call);
    ranThrough = Math.max(ranThrough, seq + 1);
    if (call.outcome) ranSettled++;
  };
  const ranOutputs = new Map<string, NodeId>();
  /** Which node produced exactly these bytes as a call's output, if any did (it has them all). */
  const producer = (input: Sealable): InputOn | undefined => {
    if ("stored" in input) return undefined;
    const { bytes } = input;
    const key = outputKey(bytes);
    const node = ranOutputs.get(key) ?? seed.outputs.get(key);
    return node === undefined ? undefined : new Map([[node, bytes.length]]);
  };
  const run = seed.run ?? new JobRun(job, seed.input);
  const budget = ctx.stepBudget ?? STEP_BUDGET;
  let handled = 0;
  let inlineMs = 0;
  const spent = () => handled >= Math.max(1, budget.calls) || inlineMs >= budget.inlineMs;
  const pass = newPass();
  for (;;) {
    if (spent()) return drafts;
    const result = run.advanceTo(log);
    if (result.status === "done") {
      try {
        return finish({ ok: true, output: sealable(result.output) });
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        return finish({ ok: false, error: failure("error", error.name, `job "${seed.name}" returned ${error.message}`) });
      }
    }
    if (result.status === "failed") return finish({ ok: false, error: result.error });
    // The shell loads what a run needs before it steps (runtime/jobs/live-jobs.ts), and what
    // this step runs inline gives values: a run that still needs a reference is a shell's bug.
    if (result.status === "needs") throw new Error(`job ${seed.id} needs ${result.stored.length} stored value(s) loaded before it can step`);
    const fresh = run.unrecorded(log);
    if (fresh.length === 0) return drafts;
    const maxCalls = ctx.maxCallsPerJob ?? DEFAULT_MAX_CALLS_PER_JOB;
    const over = fresh.find((p) => p.seq >= maxCalls);
    if (over) {
      return finish({ ok: false, error: failure("error", "TooManyCalls", `job "${seed.name}" made more than ${maxCalls} calls (call ${over.seq}: ${over.call.target}); MAX_CALLS_PER_JOB limits them`) });
    }
    let waitsElsewhere = false;
    const sealed: { seq: number; call: Call; input: Sealable }[] = [];
    // Only what this step may still handle is sealed and placed (longest first within it); the
    // rest is still new to the next step.
    for (const { seq, call } of fresh.slice(0, Math.max(1, budget.calls - handled))) {
      try {
        sealed.push({ seq, call, input: sealable(call.input) });
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        return finish({ ok: false, error: failure("error", error.name, `call ${seq} (${call.target}) input: ${error.message}`) });
      }
    }
    // Producers are looked up now: what this step runs inline below comes after these calls were made.
    const stageCalls = sealed.flatMap(({ seq, call, input }) => (call.kind === "stage" ? [{ seq, stage: call.target, input, inputOn: producer(input) }] : []));
    const placements = placeTogether(stageCalls, ctx, now, pass);
    for (const { seq, call, input } of sealed) {
      // The calls not handled yet are still new to the next step.
      if (spent()) return drafts;
      handled++;
      if (call.kind === "job") {
        const cycle = ancestorCycle(seed.ancestry, call);
        if (cycle) return finish({ ok: false, error: failure("wait-cycle", "WaitCycleError", `sub-job waits on itself: ${formatCycle(cycle)}`) });
        // The ancestry runs from the root (depth 0) to this job, so its length is the new sub-job's depth.
        const depth = seed.ancestry.length;
        const maxDepth = ctx.maxJobDepth ?? DEFAULT_MAX_JOB_DEPTH;
        if (depth > maxDepth) {
          const chain = formatChain([...seed.ancestry, call]);
          return finish({ ok: false, error: failure("too-deep", "JobTooDeep", `sub-job depth ${depth} exceeds MAX_JOB_DEPTH ${maxDepth}: ${chain}`) });
        }
        if (!ctx.registry.jobs.has(call.target)) {
          const missing = missingJob(ctx.registry, call.target);
          return finish({ ok: false, error: failure("unknown", missing.name, `call ${seq}: ${missing.message}`) });
        }
        // The sub-job runs the exact version the body called (its job object's ref).
        const { name, version } = splitRef(call.target);
        drafts.push({ type: "job.accepted", job: childId(seed.id, seq), name, version: version ?? 1, ...codeOf(ctx.registry, "job", call.target), input, at: now, parent: { job: seed.id, seq } });
        record(seq, { call });
        waitsElsewhere = true;
        continue;
      }
      const stage = ctx.registry.stages.get(call.target);
      if (!stage) return finish({ ok: false, error: failure("unknown", "UnknownStage", `call ${seq}: no stage named "${call.target}" is deployed`) });
      const dispatched = firstDispatch(seed.id, placements.get(seq)!, ctx, now, pass);
      if (!dispatched.ok) return finish({ ok: false, error: dispatched.error });
      drafts.push(...dispatched.drafts);
      // A verifying attempt the placement gave the commander runs here, like a first one.
      if (dispatched.drafts[1]?.node === INLINE_NODE) {
        inlineMs += dispatched.drafts[1].predicted.runMs;
        now = runHere(2, { seq, call }).now;
      }
      const winner = dispatched.drafts[0]!;
      if (winner.node !== INLINE_NODE) {
        record(seq, { call });
        waitsElsewhere = true;
        continue;
      }
      inlineMs += winner.predicted.runMs;
      const here = runHere(1, { seq, call });
      now = here.now;
      record(seq, { call, outcome: here.outcome });
      if (here.value && "bytes" in here.value) ranOutputs.set(outputKey(here.value.bytes), INLINE_NODE);
    }
    if (waitsElsewhere) return drafts;
  }

  /** Runs a call inline and drafts its result for `attempt`. */
  function runHere(attempt: number, { seq, call }: { seq: number; call: Call }): { now: number; outcome: Outcome; value: Sealable | null } {
    const run = ctx.runInline(call.target, plainValue(call.input));
    let outcome = run.outcome;
    let value: Sealable | null = null;
    if (outcome.ok) {
      try {
        value = sealable(outcome.value);
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        outcome = { ok: false, error: { name: error.name, message: `stage ${call.target} returned ${error.message}` } };
      }
    }
    drafts.push({
      type: "call.result",
      job: seed.id,
      seq,
      attempt,
      node: INLINE_NODE,
      outcome: value ? { ok: true, value } : { ok: false, error: (outcome as Extract<Outcome, { ok: false }>).error },
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      at: Math.max(now, run.finishedAt),
    });
    return { now: Math.max(now, run.finishedAt), outcome, value };
  }
}
