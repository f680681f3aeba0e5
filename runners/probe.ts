/**
 * The speed probe a runner reports with every heartbeat and status (`probeMs`): the time of one
 * fixed piece of CPU work, about half a millisecond on the reference machine. The plane compares
 * each node's probes with its own baseline (core/sched/speed-probe.ts), so what matters is that
 * the work never changes, not what it is: a node that gets slower for everything (CPU
 * contention, throttling, a noisy neighbour) shows it at its next heartbeats, before its calls
 * overrun and even when it runs none.
 */
const ITERATIONS = 200_000;

/** Where the loop's result goes, so the engine cannot drop the loop as dead code. */
let sink = 0;

/**
 * The probe: the faster of two runs of the reference work back to back, in ms. A pause that hits
 * one run (a GC, the OS scheduling another process for a moment) is not a slow-down; what slows
 * both is.
 */
export function measureProbe(clock: () => number = () => performance.now()): number {
  return Math.min(runOnce(clock), runOnce(clock));
}

/** One run of the reference work; its duration in ms (at least a microsecond: timers are coarse). */
function runOnce(clock: () => number): number {
  const start = clock();
  let x = (0x9e3779b9 ^ sink) >>> 0 || 1;
  for (let i = 0; i < ITERATIONS; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  sink = x;
  return Math.max(clock() - start, 0.001);
}
