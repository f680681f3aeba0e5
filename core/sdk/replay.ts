/**
 * Deterministic replay: a job's state is its input plus the recorded results of its calls.
 * Running the generator again and feeding it those results brings it back to where it was,
 * so a commander that crashed, or a new one, continues from the log alone.
 */
import { type Value, bytesEqual, decode, encode } from "../codec.ts";
import { type Call, type Effect, isEffect } from "./effects.ts";
import type { JobSpec } from "./job.ts";
import { type CallInput, Stored, isLoaded, isStored, plainValue, storedRef } from "./stored.ts";

/** Why a call failed. A stage is pure, so it would fail again: the failure is its result. */
export interface CallFailure {
  readonly name: string;
  readonly message: string;
}

/** A result as the log gives it: a value, or a Stored reference whose bytes the shell has not read (core/sdk/stored.ts). */
export type Outcome = { readonly ok: true; readonly value: CallInput } | { readonly ok: false; readonly error: CallFailure };

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
  | { readonly status: "done"; readonly output: CallInput }
  | { readonly status: "failed"; readonly error: JobFailure }
  /**
   * The job cannot go on until these references are loaded (loadStored): it reads a result it
   * did not take with .stored, or replay must compare a recorded input with the job's. Only a
   * shell that gives the run references meets it (runtime/jobs/live-jobs.ts); it loads them and
   * asks again, and the run goes on from where it stopped.
   */
  | { readonly status: "needs"; readonly stored: readonly Stored[] };

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

/**
 * Whether two calls are the same call: true or false, or the references that must be loaded to
 * tell. Two references compare by digest (a payload's name is the hash of its bytes), so a value
 * handed on as a Stored is never read to be compared. Whether the job takes the result as a
 * Stored is not part of the call (the log does not record it).
 */
function sameCall(a: Call, b: Call): boolean | Stored[] {
  if (a.kind !== b.kind || a.target !== b.target) return false;
  const [ra, rb] = [storedRef(a.input), storedRef(b.input)];
  if (ra && rb) return ra.r2 === rb.r2;
  const unloaded = [a.input, b.input].filter((x): x is Stored => isStored(x) && !isLoaded(x));
  if (unloaded.length > 0) return unloaded;
  return bytesEqual(encode(plainValue(a.input)), encode(plainValue(b.input)));
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
 * A job's calls in the order it made them, as far as they are known: an array, or a view over
 * one (the commander's records plus what a step just ran inline) that need not be copied.
 */
export interface CallLog {
  readonly length: number;
  at(seq: number): RecordedCall | undefined;
  /**
   * How many of its calls have their outcome, where the log keeps count (RecordedCalls): a run
   * waiting on all(...) of N calls then sees that the last result came without walking the N at
   * every result. Absent: the run walks its effect's calls.
   */
  readonly settled?: number;
}

/**
 * A job's calls, as the leader keeps them between steps: records in the order the job made them
 * (records only ever join the end, and an outcome, once given, stays), and how many have outcomes.
 */
export class RecordedCalls implements CallLog {
  private readonly records: RecordedCall[] = [];
  private outcomes = 0;

  get length(): number {
    return this.records.length;
  }

  get settled(): number {
    return this.outcomes;
  }

  at(seq: number): RecordedCall | undefined {
    return this.records[seq];
  }

  push(record: RecordedCall): void {
    this.records.push(record);
    if (record.outcome) this.outcomes++;
  }

  /** Call `seq` got its outcome (a call it does not hold, or one that has its outcome already, stays as it is). */
  settle(seq: number, outcome: Outcome): void {
    const known = this.records[seq];
    if (!known || known.outcome) return;
    this.records[seq] = { call: known.call, outcome };
    this.outcomes++;
  }
}

/**
 * A job's generator, kept where it stopped: each step feeds it only what is new in the log, so a
 * job of N calls costs O(N) to run, not O(N²) (a generator replayed from its start at every
 * result once made a 4,000-call chain take 11 s). A new run on a long log replays it once,
 * comparing each recorded call with what the job asks for.
 *
 * Positions a run issued past the log's end are its own: when their records arrive they are not
 * compared again (they were made from these very calls). A run that got ahead of the log (it was
 * fed results a step ran inline, and the step's decisions were not chosen) says so through
 * `followsLog`; its owner then starts a new one.
 */
export class JobRun<I extends Value = Value, O extends Value = Value> {
  private generator: Generator<Effect, O, unknown> | undefined;
  /** Calls the job has asked for so far (the current effect's included). */
  private seq = 0;
  /** The effect the job waits at: its calls are at [at, at + calls.length). */
  private waiting: { readonly calls: readonly Call[]; readonly all: boolean; readonly at: number } | undefined;
  /** How the job ended, once it has. */
  private final: ReplayResult | undefined;
  /** Log positions below this were compared with the job's calls, or issued past the log's end. */
  private checked = 0;
  /** Positions below this had outcomes when their results were fed to the generator. */
  private fed = 0;
  /** Positions below this were found in the log with their outcomes (followsLog). */
  private confirmed = 0;

  constructor(
    private readonly job: JobSpec<I, O>,
    private readonly input: I,
  ) {}

  /**
   * Whether every result this run was fed is in `log` too; false: the run went ahead of the
   * log and must be replaced. Costs what was fed since the last call.
   */
  followsLog(log: CallLog): boolean {
    for (; this.confirmed < this.fed; this.confirmed++) if (log.at(this.confirmed)?.outcome === undefined) return false;
    return true;
  }

  /**
   * Runs the job as far as `log` lets it: the calls it now waits for (several at once for
   * all()), or its result, or its failure. A job that asks for something other than what the log
   * recorded fails as nondeterministic instead of being fed another call's result.
   */
  advanceTo(log: CallLog): ReplayResult {
    if (this.final) return this.final;
    let resume: Resume;
    if (this.generator === undefined) {
      try {
        this.generator = this.job.run(fresh(this.input));
      } catch (error) {
        return this.end(thrown(error), log);
      }
      resume = { throw: false, value: undefined };
    } else {
      const settled = this.settle(log);
      if (!("resume" in settled)) return settled;
      resume = settled.resume;
    }
    for (;;) {
      let step: IteratorResult<Effect, O>;
      try {
        step = resume.throw ? this.generator.throw(resume.error) : this.generator.next(resume.value);
      } catch (error) {
        return this.end(thrown(error), log);
      }
      if (step.done) return this.end({ status: "done", output: step.value }, log);
      const effect: unknown = step.value;
      if (!isEffect(effect)) {
        return this.end(thrown(new TypeError(`job "${this.job.name}" yielded ${JSON.stringify(effect) ?? String(effect)}; jobs may only yield* stage calls, all(...) and sub-jobs`)), log);
      }
      const calls = effect.kind === "all" ? effect.calls : [effect];
      this.waiting = { calls, all: effect.kind === "all", at: this.seq };
      this.seq += calls.length;
      const settled = this.settle(log);
      if (!("resume" in settled)) return settled;
      resume = settled.resume;
    }
  }

  /**
   * The calls the job waits for that `log` has no record of (it issued them past the log's end):
   * what a step must dispatch. Costs their number, since a log records a job's calls in order.
   */
  unrecorded(log: CallLog): PendingCall[] {
    if (this.final || !this.waiting) return [];
    const { calls, at } = this.waiting;
    const fresh: PendingCall[] = [];
    for (let seq = Math.max(at, log.length); seq < this.seq; seq++) fresh.push({ seq, call: calls[seq - at]!, recorded: false });
    return fresh;
  }

  /** The current effect against the log: what to resume the generator with, or why it cannot be resumed yet. */
  private settle(log: CallLog): ReplayResult | { readonly resume: Resume } {
    const { calls, all, at } = this.waiting!;
    // Each recorded call is compared with what the job asks for once, when the job first asks.
    for (let seq = Math.max(at, this.checked); seq < Math.min(this.seq, log.length); seq++) {
      const record = log.at(seq);
      const call = calls[seq - at]!;
      const same = record ? sameCall(record.call, call) : true;
      if (Array.isArray(same)) return { status: "needs", stored: same };
      if (record && !same) {
        const what =
          describe(record.call) === describe(call)
            ? `${describe(call)} with another input than the log recorded`
            : `${describe(call)} now, but the log recorded ${describe(record.call)}`;
        return this.end(nondeterministic(`call ${seq} of job "${this.job.name}" is ${what}`));
      }
    }
    this.checked = Math.max(this.checked, this.seq);
    const outcomes = this.outcomes(log);
    if (outcomes === null) {
      // The job cannot have issued later calls before these returned.
      if (log.length > this.seq) return this.end(nondeterministic(`job "${this.job.name}" waits at call ${this.seq - 1}, but the log records ${log.length} calls`));
      return this.waitingOn(log);
    }
    const failed = outcomes.findIndex((o) => !o.ok);
    const values: unknown[] = [];
    const unloaded: Stored[] = [];
    if (failed < 0) {
      for (const [i, outcome] of outcomes.entries()) {
        const value = (outcome as Extract<Outcome, { ok: true }>).value;
        // A .stored call gets the result as a Stored (never copied: nothing reads it); any other
        // gets a private copy of the value, which a reference must be loaded for first.
        if (calls[i]!.stored) values.push(isStored(value) ? value : Stored.of(value));
        else if (isStored(value) && !isLoaded(value)) unloaded.push(value);
        else values.push(fresh(plainValue(value)));
      }
      if (unloaded.length > 0) return { status: "needs", stored: unloaded };
    }
    this.waiting = undefined;
    this.fed = this.seq;
    if (failed >= 0) {
      const outcome = outcomes[failed] as Extract<Outcome, { ok: false }>;
      return { resume: { throw: true, error: new CallError(calls[failed]!.target, outcome.error) } };
    }
    return { resume: { throw: false, value: all ? values : values[0] } };
  }

  /**
   * The outcomes of the current effect's calls, or null while one has none. A log that counts its
   * outcomes answers "not yet" at once: every call before the effect has its outcome (the job was
   * fed them), so the effect is complete only once the count reaches its end.
   */
  private outcomes(log: CallLog): Outcome[] | null {
    if (log.settled !== undefined && log.settled < this.seq) return null;
    const outcomes: Outcome[] = [];
    for (let seq = this.waiting!.at; seq < this.seq; seq++) {
      const outcome = log.at(seq)?.outcome;
      if (!outcome) return null;
      outcomes.push(outcome);
    }
    return outcomes;
  }

  /**
   * "Waiting", with the calls still without outcome listed only when read (a leader's step reads
   * unrecorded() instead): listing them at every result made a fan-out of N calls cost O(N) per
   * result. Read from `log` as it is when first read, so read it before changing the log.
   */
  private waitingOn(log: CallLog): ReplayResult {
    const { calls, at } = this.waiting!;
    let pending: PendingCall[] | undefined;
    const list = (): PendingCall[] => {
      const out: PendingCall[] = [];
      for (const [i, call] of calls.entries()) {
        const record = log.at(at + i);
        if (!record?.outcome) out.push({ seq: at + i, call, recorded: record !== undefined });
      }
      return out;
    };
    return {
      status: "waiting",
      get pending() {
        return (pending ??= list());
      },
    };
  }

  /**
   * The job's end. A job that stops early (returns, throws, yields garbage) while the log holds
   * later calls is not the job that made them: that is nondeterminism, not an ordinary failure.
   */
  private end(result: ReplayResult, log?: CallLog): ReplayResult {
    this.final = log !== undefined && this.seq < log.length ? nondeterministic(`job "${this.job.name}" stopped after ${this.seq} calls, but the log records ${log.length}`) : result;
    this.generator = undefined;
    return this.final;
  }
}

/** Runs `job` on `input` against the calls recorded so far, from its start (JobRun.advanceTo). */
export const replay = <I extends Value, O extends Value>(job: JobSpec<I, O>, input: I, log: CallLog): ReplayResult => new JobRun(job, input).advanceTo(log);

/**
 * Runtime guard against divergence: a sub-job call whose (job, input) equals one of its
 * ancestors' can never finish (it would wait on itself). Returns the cycle, or null.
 */
export function ancestorCycle(ancestors: readonly Call[], next: Call): Call[] | null {
  // A comparison that would need a reference loaded counts as different: a cycle it hides still
  // ends at MAX_JOB_DEPTH.
  const at = ancestors.findIndex((a) => sameCall(a, next) === true);
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
