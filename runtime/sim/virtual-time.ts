import type { Timers } from "../timers.ts";

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A virtual clock for Node tests and the job-plane simulation (job-sim.ts). Everything under test (drivers, in-memory acceptors, the test
 * body) takes its timers from here and talks through promises only, so once the microtask
 * queue is empty nothing can happen until the next virtual timer fires: `run` then jumps the
 * clock to it. No real time passes between events, so no test depends on the machine's speed,
 * and the same seed replays the same interleaving.
 */
export class VirtualTime {
  private clock = 0;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  /** Timers fired so far: the simulation's events. */
  fired = 0;

  readonly timers: Timers = {
    setTimeout: (callback, ms) => {
      const seq = ++this.seq;
      this.pending.set(seq, { at: this.clock + Math.max(0, ms), seq, callback });
      return seq;
    },
    clearTimeout: (handle) => {
      this.pending.delete(handle as number);
    },
    now: () => this.clock,
  };

  readonly now = (): number => this.clock;
  readonly sleep = (ms: number): Promise<void> => new Promise((resolve) => this.timers.setTimeout(resolve, ms));

  /** Drives the clock until `work` settles; fails if it waits on nothing or runs too long. */
  async run<T>(work: Promise<T>, maxTimers = 2_000_000): Promise<T> {
    let done = false;
    const result = work.finally(() => {
      done = true;
    });
    result.catch(() => undefined);
    for (let fired = 0; ; fired++) {
      await settle();
      if (done) return result;
      if (fired >= maxTimers) throw new Error(`virtual time: still running after ${maxTimers} timers (virtual ${this.clock} ms)`);
      let next: Pending | null = null;
      for (const p of this.pending.values()) if (!next || p.at < next.at || (p.at === next.at && p.seq < next.seq)) next = p;
      if (!next) throw new Error("virtual time: the work waits on nothing (deadlock)");
      this.pending.delete(next.seq);
      this.clock = next.at;
      this.fired++;
      next.callback();
    }
  }
}
