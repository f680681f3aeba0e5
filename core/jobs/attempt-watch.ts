/**
 * Which stage calls of a running job may need another attempt (JobsState.attemptsNeeded): a
 * verified call whose answers differ, one whose answer came from a node since quarantined, one
 * whose every attempt ended without a result. The leader asks at every step of a job; walking all
 * of the job's calls each time made a fan-out of N calls answered by runners cost O(N) per result.
 *
 * A call's need changes only when a decision names it (dispatched, answered, timed out) or when a
 * node's trust changes (registered, removed, quarantined), which may change it for every call
 * with an attempt on that node: the first kind marks the call, the second every call of every
 * job, to be looked at once. A call found to need an attempt stays marked until it needs none.
 */
import type { Applied, CallRecord, JobRecord, JobsState, StageCall } from "./state.ts";
import { outstanding } from "./state.ts";
import type { Decision, JobId } from "./decisions.ts";

export class AttemptWatch {
  /** Per job, the calls to look at: named by a decision since, or found needing an attempt. */
  private readonly marked = new Map<JobId, Set<number>>();
  /** Bumped when every call must be looked at again; a job looked at whole in an older era is again. */
  private era = 0;
  private readonly lookedAt = new Map<JobId, number>();

  /** Notes what an applied decision may have changed (`effect`: what JobsState.apply said of it). */
  applied(d: Decision, effect: Applied): void {
    if (effect.effect === "none") return;
    switch (d.type) {
      case "call.dispatched":
      case "call.result":
      case "call.timeout":
        this.mark(d.job, d.seq);
        break;
      case "node.registered":
      case "node.removed":
      case "node.quarantined":
        this.everything();
        break;
      default:
        break;
    }
    // A verification that quarantined its dissenters distrusts their answers to other calls too.
    if (effect.effect === "job" && effect.quarantined?.length) this.everything();
  }

  /** Every call of every job is to be looked at once more (a restored state, a new term). */
  everything(): void {
    this.era++;
  }

  /** The job ended or is gone: nothing of it is looked at again. */
  forget(job: JobId): void {
    this.marked.delete(job);
    this.lookedAt.delete(job);
  }

  /**
   * The call of `job` with the lowest seq that needs another attempt, if any. Costs the calls
   * marked since the last look (each found needing nothing is unmarked), or, once per era, all of
   * the job's calls.
   */
  firstNeeding(job: JobRecord, state: JobsState): StageCall | undefined {
    let marked = this.marked.get(job.id);
    if (this.lookedAt.get(job.id) !== this.era) {
      marked = new Set(job.calls.keys());
      this.marked.set(job.id, marked);
      this.lookedAt.set(job.id, this.era);
    }
    let first: StageCall | undefined;
    for (const seq of marked ?? []) {
      const call = job.calls[seq];
      if (!call || !needsAttempt(call, state)) marked!.delete(seq);
      else if (!first || call.seq < first.seq) first = call;
    }
    return first;
  }

  private mark(job: JobId, seq: number): void {
    const marked = this.marked.get(job);
    if (marked) marked.add(seq);
    // A job not looked at yet is looked at whole at its first look, this call included.
  }
}

const needsAttempt = (call: CallRecord, state: JobsState): call is StageCall =>
  call.kind === "stage" && call.state.is !== "done" && call.attempts.length > 0 && state.attemptsNeeded(call, outstanding(call)) > 0;
