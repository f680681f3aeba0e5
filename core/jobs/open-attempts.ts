/**
 * The attempts a leader waits on, each with its deadline (recovery.ts attemptTimeoutMs): what
 * the leader's one timer wakes for. Pure: the shell asks when the next deadline is and which have
 * passed. Every operation a dispatch, a result or a job's end causes costs O(log n) or the job's
 * own attempts, not every attempt out: a fan-out of 10,000 calls arms its timer 10,000 times.
 */
import { Heap } from "../heap.ts";
import type { JobId, NodeId } from "./decisions.ts";

export interface OpenAttempt {
  readonly job: JobId;
  readonly seq: number;
  readonly attempt: number;
  readonly node: NodeId;
  readonly deadline: number;
  /** Its predicted run, for the scheduler's view of the node's work. */
  readonly runMs: number;
}

export const attemptKey = (job: JobId, seq: number, attempt: number) => `${job}/${seq}/${attempt}`;
const keyOf = (a: OpenAttempt) => attemptKey(a.job, a.seq, a.attempt);

export class OpenAttempts {
  private readonly attempts = new Map<string, OpenAttempt>();
  private readonly byJob = new Map<JobId, Set<string>>();
  /** Deadlines not reached at the last look; entries whose attempt was since closed or replaced are skipped when met. */
  private readonly pending = new Heap<OpenAttempt>((a, b) => a.deadline < b.deadline);
  /** Attempts past their deadline and still open: the leader is ending them (or retries at its next look). */
  private readonly overdue = new Set<string>();

  get size(): number {
    return this.attempts.size;
  }

  get(job: JobId, seq: number, attempt: number): OpenAttempt | undefined {
    return this.attempts.get(attemptKey(job, seq, attempt));
  }

  /** By attemptKey (the scheduler names attempts so). */
  byKey(key: string): OpenAttempt | undefined {
    return this.attempts.get(key);
  }

  add(a: OpenAttempt): void {
    const key = keyOf(a);
    this.overdue.delete(key);
    this.attempts.set(key, a);
    let ofJob = this.byJob.get(a.job);
    if (!ofJob) this.byJob.set(a.job, (ofJob = new Set()));
    ofJob.add(key);
    this.pending.push(a);
  }

  /** The attempt got its answer, or its end was chosen; returns it if it was open. */
  close(job: JobId, seq: number, attempt: number): OpenAttempt | undefined {
    const key = attemptKey(job, seq, attempt);
    const a = this.attempts.get(key);
    if (!a) return undefined;
    this.attempts.delete(key);
    this.overdue.delete(key);
    const ofJob = this.byJob.get(job)!;
    ofJob.delete(key);
    if (ofJob.size === 0) this.byJob.delete(job);
    return a;
  }

  /** The job ended: none of its attempts matters any more. Returns those that were open. */
  closeJob(job: JobId): OpenAttempt[] {
    const closed: OpenAttempt[] = [];
    for (const key of this.byJob.get(job) ?? []) {
      closed.push(this.attempts.get(key)!);
      this.attempts.delete(key);
      this.overdue.delete(key);
    }
    this.byJob.delete(job);
    return closed;
  }

  clear(): void {
    this.attempts.clear();
    this.byJob.clear();
    this.overdue.clear();
    while (this.pending.pop() !== undefined);
  }

  /** Every attempt out on `node` (a node drained, quarantined or removed: rare, so a scan). */
  onNode(node: NodeId): OpenAttempt[] {
    return [...this.attempts.values()].filter((a) => a.node === node);
  }

  /** Every open attempt whose deadline is at or before `now`; they stay open until closed. */
  due(now: number): OpenAttempt[] {
    for (let top = this.top(); top !== undefined && top.deadline <= now; top = this.top()) {
      this.pending.pop();
      this.overdue.add(keyOf(top));
    }
    return [...this.overdue].map((key) => this.attempts.get(key)!);
  }

  /** The earliest deadline of an open attempt, or null: when the leader should look next. */
  nextDeadline(): number | null {
    let next = this.top()?.deadline ?? null;
    for (const key of this.overdue) {
      const { deadline } = this.attempts.get(key)!;
      if (next === null || deadline < next) next = deadline;
    }
    return next;
  }

  /** The heap's earliest entry that is still the open attempt it names (stale ones are dropped on the way). */
  private top(): OpenAttempt | undefined {
    for (;;) {
      const top = this.pending.peek();
      if (top === undefined || this.attempts.get(keyOf(top)) === top) return top;
      this.pending.pop();
    }
  }
}
