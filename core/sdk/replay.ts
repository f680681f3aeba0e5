/**
 * Deterministic replay: a job's state is its input plus the recorded results of its calls.
 * Running the generator again and feeding it those results brings it back to where it was,
 * so a commander that crashed, or a new one, continues from the log alone.
 */
import { type Value, bytesEqual, decode, encode } from "../codec.ts";
import { type Call, type Effect, isEffect } from "./effects.ts";
import type { JobSpec } from "./job.ts";

/** Why a call failed. A stage is pure, so it would fail again: the failure is its result. */
export interface CallFailure {
  readonly name: string;
  readonly message: string;
}

export type Outcome = { readonly ok: true; readonly value: Value } | { readonly ok: false; readonly error: CallFailure };

/** One call in the order the job issued it, with its result once there is one. */
export interface RecordedCall {
  readonly call: Call;
  readonly outcome?: Outcome;
}

export interface PendingCall {
  /** Position in the job's call sequence (the index its record has or will have in the log). */
  readonly seq: number;
  readonly call: Call;
  /** Already in the log (dispatched earlier, no result yet), or newly issued by this replay. */
  readonly recorded: boolean;
}

export type JobFailure =
  | { readonly kind: "error"; readonly name: string; readonly message: string }
  | { readonly kind: "nondeterministic"; readonly name: "NondeterministicJobError"; readonly message: string };

export type ReplayResult =
  | { readonly status: "waiting"; readonly pending: readonly PendingCall[] }
  | { readonly status: "done"; readonly output: Value }
  | { readonly status: "failed"; readonly error: JobFailure };

/** What a job sees when a call it made failed; it may catch it. */
export class CallError extends Error {
  override readonly name = "CallError";
  constructor(
    readonly target: string,
    readonly failure: CallFailure,
  ) {
    super(`${target} failed: ${failure.name}: ${failure.message}`);
  }
}

const describe = (call: Call) => `${call.kind} ${call.target}`;

function sameCall(a: Call, b: Call): boolean {
  return a.kind === b.kind && a.target === b.target && bytesEqual(encode(a.input), encode(b.input));
}

/**
 * A private copy for the job: it may mutate what it gets (local mutation is pure), and the
 * log's copy must stay as recorded for the next replay.
 */
const fresh = <T>(value: T): T => decode(encode(value));

const nondeterministic = (message: string): ReplayResult => ({
  status: "failed",
  error: { kind: "nondeterministic", name: "NondeterministicJobError", message: `nondeterministic job: ${message}` },
});

const thrown = (error: unknown): ReplayResult => ({
  status: "failed",
  error: {
    kind: "error",
    name: error instanceof Error ? error.name : "Error",
    message: error instanceof Error ? error.message : String(error),
  },
});

type Resume = { readonly throw: false; readonly value: unknown } | { readonly throw: true; readonly error: Error };

/**
 * Runs `job` on `input` against the calls recorded so far. Returns the calls it now waits
 * for (several at once for all()), or its result, or its failure. A job that asks for
 * something other than what the log recorded fails as nondeterministic instead of being fed
 * another call's result.
 */
export function replay<I extends Value, O extends Value>(job: JobSpec<I, O>, input: I, log: readonly RecordedCall[]): ReplayResult {
  let generator: Generator<Effect, O, unknown>;
  let seq = 0;
  // A job that stops early (returns, throws, yields garbage) while the log holds later calls
  // is not the job that made them: that is nondeterminism, not an ordinary failure.
  const ended = (result: ReplayResult): ReplayResult =>
    seq < log.length ? nondeterministic(`job "${job.name}" stopped after ${seq} calls, but the log records ${log.length}`) : result;
  try {
    generator = job.run(fresh(input));
  } catch (error) {
    return ended(thrown(error));
  }
  let resume: Resume = { throw: false, value: undefined };
  for (;;) {
    let step: IteratorResult<Effect, O>;
    try {
      step = resume.throw ? generator.throw(resume.error) : generator.next(resume.value);
    } catch (error) {
      return ended(thrown(error));
    }
    if (step.done) return ended({ status: "done", output: step.value });
    const effect: unknown = step.value;
    if (!isEffect(effect)) {
      return ended(thrown(new TypeError(`job "${job.name}" yielded ${JSON.stringify(effect) ?? String(effect)}; jobs may only yield* stage calls, all(...) and sub-jobs`)));
    }
    const calls = effect.kind === "all" ? effect.calls : [effect];
    const outcomes: Outcome[] = [];
    const pending: PendingCall[] = [];
    for (const [i, call] of calls.entries()) {
      const record = log[seq + i];
      if (record && !sameCall(record.call, call)) {
        const what =
          describe(record.call) === describe(call)
            ? `${describe(call)} with another input than the log recorded`
            : `${describe(call)} now, but the log recorded ${describe(record.call)}`;
        return nondeterministic(`call ${seq + i} of job "${job.name}" is ${what}`);
      }
      if (record?.outcome) outcomes.push(record.outcome);
      else pending.push({ seq: seq + i, call, recorded: record !== undefined });
    }
    seq += calls.length;
    if (pending.length > 0) {
      // The job cannot have issued later calls before these returned.
      if (log.length > seq) return nondeterministic(`job "${job.name}" waits at call ${seq - 1}, but the log records ${log.length} calls`);
      return { status: "waiting", pending };
    }
    const failed = outcomes.findIndex((o) => !o.ok);
    if (failed >= 0) {
      const outcome = outcomes[failed] as Extract<Outcome, { ok: false }>;
      resume = { throw: true, error: new CallError(calls[failed]!.target, outcome.error) };
    } else {
      const values = outcomes.map((o) => fresh((o as Extract<Outcome, { ok: true }>).value));
      resume = { throw: false, value: effect.kind === "all" ? values : values[0] };
    }
  }
}

/**
 * Runtime guard against divergence: a sub-job call whose (job, input) equals one of its
 * ancestors' can never finish (it would wait on itself). Returns the cycle, or null.
 */
export function ancestorCycle(ancestors: readonly Call[], next: Call): Call[] | null {
  const at = ancestors.findIndex((a) => sameCall(a, next));
  return at < 0 ? null : [...ancestors.slice(at), next];
}

/** How many names a shortened chain keeps at each end. */
const CHAIN_ENDS = 3;

/**
 * The job names along a chain of calls, "a -> b -> c"; a long chain keeps its ends and says how
 * many are left out between them, so an error about a deep tree stays one readable line.
 */
export function formatChain(chain: readonly Call[]): string {
  const names = chain.map((c) => c.target);
  if (names.length <= 2 * CHAIN_ENDS + 1) return names.join(" -> ");
  return [...names.slice(0, CHAIN_ENDS), `... ${names.length - 2 * CHAIN_ENDS} more ...`, ...names.slice(-CHAIN_ENDS)].join(" -> ");
}

/** A wait-for cycle (ancestorCycle), as a chain that ends where it began. */
export const formatCycle = (cycle: readonly Call[]): string => formatChain(cycle);
