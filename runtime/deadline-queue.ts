/**
 * Many deadlines of one length on a single timer. A commander waits for every command it
 * proposes, each for the same COMMIT_TIMEOUT_MS: one timer per command once reached workerd's
 * limit of active timers (a 4,999-call job took 10.5 s). Deadlines of one length expire in the
 * order they were set, so a queue in that order, with one timer for its head, holds them all.
 */
import type { Timers } from "./timers.ts";

interface Entry {
  readonly at: number;
  /** Null once fired or cancelled: what it would have called (and holds) is let go at once. */
  fire: (() => void) | null;
}

/** Entries already passed that may pile up before the queue drops them (a cheap, amortised compaction). */
const COMPACT_AFTER = 1_024;

export class DeadlineQueue {
  private queue: Entry[] = [];
  /** Entries before this index have fired or were cancelled. */
  private head = 0;
  private timer: unknown = null;

  constructor(
    private readonly timers: Timers,
    private readonly delayMs: number,
  ) {}

  /** Calls `fire` once `delayMs` have passed, unless the returned function is called first. */
  add(fire: () => void): () => void {
    const entry: Entry = { at: this.timers.now() + this.delayMs, fire };
    this.queue.push(entry);
    if (this.timer === null) this.arm();
    return () => {
      entry.fire = null;
    };
  }

  /** Stops the timer and forgets every deadline (none fires). */
  clear(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    this.head = 0;
  }

  private arm(): void {
    while (this.head < this.queue.length && this.queue[this.head]!.fire === null) this.head++;
    if (this.head > COMPACT_AFTER && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    const next = this.queue[this.head];
    if (next === undefined) return;
    this.timer = this.timers.setTimeout(() => this.fireDue(), Math.max(0, next.at - this.timers.now()));
  }

  private fireDue(): void {
    this.timer = null;
    const now = this.timers.now();
    while (this.head < this.queue.length && (this.queue[this.head]!.fire === null || this.queue[this.head]!.at <= now)) {
      const entry = this.queue[this.head++]!;
      const fire = entry.fire;
      entry.fire = null;
      fire?.();
    }
    this.arm();
  }
}
