/**
 * How many calls the leader has out on each runner (and on the stage Worker) at once. A runner
 * runs `slots` calls and queues QUEUED_CALLS_PER_SLOT more per slot; past that it answers 503
 * "full". Placement may put
 * far more on a fast runner than it holds (a fan-out of 10,000 calls predicts a queue there, and
 * is right to): sent at once, the rest were refused, the refusals taken for a failing node, and
 * every call re-sent elsewhere. So sends past a runner's window wait here, in dispatch order,
 * and go as the runner's attempts end, or as it hands their results back (before the log chose
 * them: a result reported is no longer in the runner's queue). A call waiting here is still waiting in the runner's queue
 * as placement sees it: its deadline counts from its dispatch, as before.
 *
 * The stage Worker has no queue of its own: its window is its slots (WORKER_SLOTS).
 *
 * A runner that still answers "full" (one started with a smaller queue) gets a window as large
 * as what it held then, growing by one per result (additive increase, multiplicative decrease:
 * TCP's rule); with nothing of ours out there, the send is tried again after BUSY_RETRY_MS.
 *
 * Pure: the core tells it what was dispatched, what ended and what was refused; it answers with
 * what to send now.
 */
import type { NodeId } from "./decisions.ts";
import { QUEUED_CALLS_PER_SLOT } from "./protocol.ts";

/** A runner busy with nothing of ours out: the next try of its first waiting call (its 503 says Retry-After: 1). */
export const BUSY_RETRY_MS = 1_000;

/** Calls a runner with `slots` slots holds at once by default: the ones running and its queue. */
export const runnerWindow = (slots: number): number => Math.max(1, slots) * (1 + QUEUED_CALLS_PER_SLOT);

interface Window<S> {
  /** Attempts sent and not ended. */
  readonly out: Set<string>;
  /** Sends waiting for room, in dispatch order. */
  readonly waiting: { readonly key: string; readonly send: S }[];
  /** Most calls out at once. */
  limit: number;
  readonly max: number;
  /** With nothing out after a "busy": when to try the first waiting send again. */
  retryAt: number | null;
}

export class SendWindows<S> {
  private readonly windows = new Map<NodeId, Window<S>>();

  /**
   * A call dispatched to a node that holds `limit` calls at once (runnerWindow for a runner):
   * the sends to make now (it, unless it waits behind others). `key` names its attempt
   * (open-attempts.ts attemptKey).
   */
  dispatched(node: NodeId, limit: number, key: string, send: S, open: (key: string) => boolean): S[] {
    const w = this.window(node, limit);
    w.waiting.push({ key, send });
    return this.release(node, w, open);
  }

  /**
   * The attempt ended (answered, given up, its job over); again for the same attempt adds nothing. `answered`: a result came, so the
   * runner keeps up: its window grows back by one. Returns the sends that now have room; `open`
   * says whether a waiting attempt still needs sending.
   */
  ended(node: NodeId, key: string, answered: boolean, open: (key: string) => boolean): S[] {
    const w = this.windows.get(node);
    if (!w) return [];
    // One still waiting stays in line, to be skipped when its turn comes (a job's end closes
    // all its attempts at once: looking each up in the line would cost its length each time).
    // Once per send: an attempt ends here when its node answers and again when the answer is applied.
    if (w.out.delete(key) && answered && w.limit < w.max) w.limit++;
    return this.release(node, w, open);
  }

  /** The runner answered "busy" to this send: it waits again, first in line, and the window shrinks to what the runner held. */
  busy(node: NodeId, key: string, send: S, now: number): void {
    const w = this.windows.get(node);
    if (!w) return;
    w.out.delete(key);
    w.waiting.unshift({ key, send });
    w.limit = Math.max(1, w.out.size);
    if (w.out.size === 0) w.retryAt = now + BUSY_RETRY_MS;
  }

  /** Sends whose busy runner's retry time has come. */
  due(now: number, open: (key: string) => boolean): S[] {
    const sends: S[] = [];
    for (const [node, w] of this.windows) {
      if (w.retryAt === null || w.retryAt > now) continue;
      w.retryAt = null;
      sends.push(...this.release(node, w, open));
    }
    return sends;
  }

  /** The earliest retry of a busy runner, or null. */
  nextRetry(): number | null {
    let next: number | null = null;
    for (const w of this.windows.values()) if (w.retryAt !== null && (next === null || w.retryAt < next)) next = w.retryAt;
    return next;
  }

  /** Calls waiting for room on `node` (the job view's and tests' question). */
  waitingOn(node: NodeId): number {
    return this.windows.get(node)?.waiting.length ?? 0;
  }

  /** The node left: nothing is sent there any more (its attempts are given up elsewhere). */
  forget(node: NodeId): void {
    this.windows.delete(node);
  }

  clear(): void {
    this.windows.clear();
  }

  private window(node: NodeId, max: number): Window<S> {
    let w = this.windows.get(node);
    if (!w) this.windows.set(node, (w = { out: new Set(), waiting: [], limit: max, max, retryAt: null }));
    return w;
  }

  private release(node: NodeId, w: Window<S>, open: (key: string) => boolean): S[] {
    const sends: S[] = [];
    while (w.retryAt === null && w.out.size < w.limit && w.waiting.length > 0) {
      const next = w.waiting.shift()!;
      if (!open(next.key)) continue;
      w.out.add(next.key);
      sends.push(next.send);
    }
    if (w.out.size === 0 && w.waiting.length === 0 && w.retryAt === null) this.windows.delete(node);
    return sends;
  }
}
