/**
 * The running jobs a leader keeps between steps (core/jobs/advance.ts JobSeed): inputs and
 * results decoded once, the job's generator where it stopped (core/sdk/replay.ts JobRun), the
 * outputs by producer. Each step then costs what is new since the last: a result decoded, a
 * generator resumed. Without it every result re-opened every payload and replayed the job from
 * its start, so a job's cost grew with the square of its calls.
 *
 * Only a leader keeps them, and only while it leads: the records past the log's end that a run
 * issued are trusted to be its own (JobRun). Whatever is dropped is rebuilt from the state at the
 * next step, at O(calls) once.
 */
import type { Value } from "../../core/codec.ts";
import { type JobSeed, outputKey } from "../../core/jobs/advance.ts";
import type { JobId, NodeId } from "../../core/jobs/decisions.ts";
import { type Payload, isInline } from "../../core/jobs/payload.ts";
import { type CallRecord, type JobRecord, outcomeOf, takenFrom } from "../../core/jobs/state.ts";
import type { Call } from "../../core/sdk/effects.ts";
import { type Registry, jobRef } from "../../core/sdk/registry.ts";
import { type CallLog, JobRun, type Outcome, type RecordedCall, RecordedCalls } from "../../core/sdk/replay.ts";
import { type CallInput, Stored, loadStored } from "../../core/sdk/stored.ts";

/** How the keeper reads payloads (runtime/jobs/payload-store.ts Payloads). */
export interface PayloadReader {
  open(payload: Payload): Promise<Value>;
  bytes(payload: Payload): Promise<Uint8Array>;
}

interface LiveJob {
  readonly seed: JobSeed & { readonly calls: RecordedCalls; readonly outputs: Map<string, NodeId>; readonly run: JobRun };
  /** Calls whose outcome may have arrived since the last step (noted as decisions apply). */
  readonly changed: Set<number>;
}

/**
 * Running jobs kept at most: beyond it the least recently stepped is let go (and rebuilt from the
 * log at its next step), so what a leader holds stays bounded however many jobs run.
 */
const KEPT_JOBS = 1_000;

export class LiveJobs {
  /** In the order they were last stepped, oldest first. */
  private readonly jobs = new Map<JobId, LiveJob>();
  /** Hints for jobs being built (seed awaits payloads meanwhile, and decisions go on applying). */
  private readonly building = new Map<JobId, Set<number>>();
  /** Bumped by clear(): a run built or started before it must not be kept after it. */
  private era = 0;
  /** The payload behind each Stored reference this keeper made (view), for load. */
  private readonly refs = new WeakMap<Stored, Payload>();

  constructor(
    private readonly registry: Registry,
    private readonly payloads: PayloadReader,
  ) {}

  /** The current era, for adopt(): a caller reads it before the work whose run it would keep. */
  get generation(): number {
    return this.era;
  }

  /** A decision may have given call `seq` of `job` its outcome (a result, a sub-job's end). */
  changed(job: JobId, seq: number): void {
    this.jobs.get(job)?.changed.add(seq);
    this.building.get(job)?.add(seq);
  }

  drop(job: JobId): void {
    this.jobs.delete(job);
  }

  /** Leadership changed, or the state was restored: every kept run may be stale. */
  clear(): void {
    this.jobs.clear();
    this.era++;
  }

  /** Keeps a run a caller started (a submit's first step) in era `generation`, if that era lasts and the job runs. */
  adopt(seed: JobSeed & { readonly run: JobRun }, job: JobRecord | undefined, generation: number): void {
    if (generation !== this.era || job?.status !== "running") return;
    this.keep(seed.id, { seed: { ...seed, calls: new RecordedCalls(), outputs: new Map(), run: seed.run }, changed: new Set() });
  }

  private keep(id: JobId, live: LiveJob): void {
    this.jobs.delete(id);
    this.jobs.set(id, live);
    if (this.jobs.size > KEPT_JOBS) this.jobs.delete(this.jobs.keys().next().value!);
  }

  /** The job as the next step needs it: brought up to date from its record, or built anew. */
  async seed(job: JobRecord, ancestry: () => Promise<Call[]>): Promise<JobSeed> {
    const seed = await this.current(job, ancestry);
    if (seed.run) await this.load(seed.run, seed.calls);
    return seed;
  }

  /**
   * Runs the job as far as its log goes, reading from the payload store only the values it
   * turns out to need (a result it reads, or a recorded input replay must compare with one that
   * is not a reference); what it hands on stays a reference. advance() then steps it from there.
   */
  private async load(run: JobRun, calls: CallLog): Promise<void> {
    for (;;) {
      const result = run.advanceTo(calls);
      if (result.status !== "needs") return;
      for (const stored of result.stored) await this.loadOne(stored);
    }
  }

  private async loadOne(stored: Stored): Promise<void> {
    const ref = this.refs.get(stored);
    if (!ref) throw new Error("a Stored reference this keeper did not make cannot be loaded");
    loadStored(stored, await this.payloads.open(ref));
  }

  /**
   * A recorded value as the job may see it: decoded when small (inline in the log), else a Stored
   * reference, read only if the job reads it (load). So a value the job hands on from one call to
   * the next is never fetched, decoded or encoded here.
   */
  private async view(payload: Payload): Promise<CallInput> {
    if (isInline(payload)) return this.payloads.open(payload);
    const stored = Stored.ref(payload);
    this.refs.set(stored, payload);
    return stored;
  }

  private async current(job: JobRecord, ancestry: () => Promise<Call[]>): Promise<JobSeed & { readonly calls: RecordedCalls }> {
    const kept = this.jobs.get(job.id);
    if (kept && (await this.catchUp(kept, job))) {
      // Still kept after the awaits (not dropped, not cleared): now the most recently stepped.
      if (this.jobs.get(job.id) === kept) this.keep(job.id, kept);
      return kept.seed;
    }
    const era = this.era;
    // Outcomes applied while this awaits payloads are noted here, for the next step to take.
    const changed = new Set<number>();
    this.building.set(job.id, changed);
    try {
      const input = await this.payloads.open(job.input);
      const outputs = new Map<string, NodeId>();
      const calls = new RecordedCalls();
      for (const record of job.calls) calls.push(await this.recorded(record, outputs));
      // The version it started on, never the latest: a job runs to its end on the code it began with.
      const seed = { id: job.id, name: jobRef(job.name, job.version), ...(job.digest === undefined ? {} : { digest: job.digest }), input, calls, outputs, ancestry: await ancestry() };
      const definition = this.registry.jobs.get(seed.name);
      // An unknown job (or a version no longer deployed) gets no run: advance() finishes it without one.
      if (!definition) return seed;
      const live: LiveJob = { seed: { ...seed, run: new JobRun(definition, input) }, changed };
      // Not kept when leadership changed meanwhile, or the job ended (nothing would drop it again).
      if (era === this.era && job.status === "running") this.keep(job.id, live);
      return live.seed;
    } finally {
      this.building.delete(job.id);
    }
  }

  /** Brings a kept job up to its record; false when its run went ahead of the log (rebuild). */
  private async catchUp(live: LiveJob, job: JobRecord): Promise<boolean> {
    const { calls, outputs, run } = live.seed;
    for (const seq of live.changed) {
      const record = job.calls[seq];
      const known = calls.at(seq);
      if (record?.state.is === "done" && known && !known.outcome) calls.settle(seq, await this.outcome(record, outputs));
    }
    live.changed.clear();
    for (let seq = calls.length; seq < job.calls.length; seq++) calls.push(await this.recorded(job.calls[seq]!, outputs));
    if (run.followsLog(calls)) return true;
    this.jobs.delete(job.id);
    return false;
  }

  private async recorded(record: CallRecord, outputs: Map<string, NodeId>): Promise<RecordedCall> {
    const call: Call = { kind: record.kind, target: record.target, input: await this.view(record.input) };
    return record.state.is === "done" ? { call, outcome: await this.outcome(record, outputs) } : { call };
  }

  /** A call's outcome as the job sees it; an output kept inline is noted with the node that made it. */
  private async outcome(record: CallRecord, outputs: Map<string, NodeId>): Promise<Outcome> {
    const outcome = outcomeOf(record)!;
    if (!outcome.ok) return { ok: false, error: outcome.error };
    const node = takenFrom(record);
    if (node !== undefined && "inline" in outcome.value) outputs.set(outputKey(await this.payloads.bytes(outcome.value)), node);
    return { ok: true, value: await this.view(outcome.value) };
  }
}
