/** One timer for many deadlines of one length (runtime/deadline-queue.ts), on a hand-driven clock. */
import { describe, expect, it } from "vitest";
import { DeadlineQueue } from "../../runtime/deadline-queue.ts";
import type { Timers } from "../../runtime/timers.ts";

/** A clock that moves only when told, counting the timers armed at once. */
function manualClock() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; callback: () => void }>();
  const timers: Timers = {
    setTimeout: (callback, ms) => (pending.set(++seq, { at: now + ms, callback }), seq),
    clearTimeout: (handle) => void pending.delete(handle as number),
    now: () => now,
  };
  return {
    timers,
    active: () => pending.size,
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = [...pending].filter(([, p]) => p.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        pending.delete(due[0]);
        now = due[1].at;
        due[1].callback();
      }
      now = until;
    },
  };
}

describe("DeadlineQueue", () => {
  it("fires each deadline once, in order, after its delay, on one timer however many are set", () => {
    const clock = manualClock();
    const queue = new DeadlineQueue(clock.timers, 100);
    const fired: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      if (i % 1_000 === 0) clock.advance(10);
      queue.add(() => fired.push(`d${i}`));
    }
    expect(clock.active()).toBe(1);
    clock.advance(59);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toHaveLength(1_000);
    expect(fired[0]).toBe("d0");
    clock.advance(40);
    expect(fired).toHaveLength(5_000);
    expect(fired.at(-1)).toBe("d4999");
    expect(clock.active()).toBe(0);
  });

  it("a cancelled deadline never fires; the timer moves on to the next live one", () => {
    const clock = manualClock();
    const queue = new DeadlineQueue(clock.timers, 100);
    const fired: number[] = [];
    const cancel0 = queue.add(() => fired.push(0));
    clock.advance(30);
    queue.add(() => fired.push(1));
    cancel0();
    clock.advance(70);
    expect(fired).toEqual([]);
    clock.advance(30);
    expect(fired).toEqual([1]);
  });

  it("clear stops the timer and forgets every deadline", () => {
    const clock = manualClock();
    const queue = new DeadlineQueue(clock.timers, 100);
    let fired = 0;
    queue.add(() => fired++);
    queue.clear();
    expect(clock.active()).toBe(0);
    clock.advance(1_000);
    expect(fired).toBe(0);
    queue.add(() => fired++);
    clock.advance(100);
    expect(fired).toBe(1);
  });
});
