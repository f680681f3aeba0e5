/**
 * What the scheduler expects of an attempt in flight, re-estimated with what it knows *now*.
 * The prediction carried by the dispatch says wait + transfer + run; by the time we ask, the
 * node's learned runtime scale may have changed (a node found 5x slower makes every call it
 * holds, and the calls queued ahead of them, 5x longer), and the attempt may already be past its
 * expected end.
 */
import type { ObservedDispatch } from "./scheduler.ts";

/** An attempt past its expected end is expected to need at least this fraction of its run more. */
const MIN_OVERRUN_FRACTION = 0.1;

export interface Attempt {
  readonly d: ObservedDispatch;
  /** The cost model at the node's declared speed (what the runtime model compares against). */
  readonly declaredRunMs: number;
  /** The runtime scale its prediction was made with (predicted run / declared run). */
  readonly scaleAtDispatch: number;
  /** Its transfer by the node's declared link; with the predicted one, the larger is the cautious bound on time spent moving data. */
  readonly declaredTransferMs: number;
  /** The node had a free slot and reported no other work: its overhead measures the link alone. */
  readonly idleNode: boolean;
  /**
   * When it reached one of the node's slots (the node serves our attempts in order): at
   * dispatch if a slot was free, else when an older attempt left. Unset while queued.
   */
  runningSince?: number;
}

export interface Timeline {
  readonly runMs: number;
  readonly start: number;
  readonly runEnd: number;
  /** Half the transfer: before the run (input) and after it (output). */
  readonly half: number;
  readonly scale: number;
}

/**
 * Its run takes declared × `scale` (the scale learned now). It starts half a transfer after it
 * got a slot, or, while still queued, after its predicted wait (which scales alike: the calls
 * ahead of it run on the same node).
 */
export function timeline(a: Attempt, scale: number): Timeline {
  const runMs = a.declaredRunMs * scale;
  const half = a.d.predicted.transferMs / 2;
  const start = (a.runningSince ?? a.d.at + a.d.predicted.waitMs * (scale / a.scaleAtDispatch)) + half;
  return { runMs, start, runEnd: start + runMs, half, scale };
}

/**
 * Past its expected end, an attempt is expected to need as much again as it has overrun (the
 * longer a call has outlived its prediction, the less the prediction says; at least a tenth of
 * its run, so an overdue call never counts as done).
 */
const overrun = (t: Timeline, now: number) => Math.max(now - t.runEnd, MIN_OVERRUN_FRACTION * t.runMs);

/** Run time still ahead of it. */
export function remainingRunMs(t: Timeline, now: number): number {
  if (now <= t.start) return t.runMs;
  if (now < t.runEnd) return t.runEnd - now;
  return overrun(t, now);
}

/** When its result should reach the plane. */
export function finishEstimate(t: Timeline, now: number): number {
  return now < t.runEnd ? t.runEnd + t.half : now + overrun(t, now) + t.half;
}

/**
 * When the progress detector should expect it: its finish estimate, but at least half its run
 * away. How long a nearly done or overdue call still takes is the least certain part of any
 * prediction, and a failure detector must not accuse a node over it.
 */
export function patientFinishEstimate(t: Timeline, now: number): number {
  return Math.max(finishEstimate(t, now), now + t.runMs / 2 + t.half);
}

/** The longer of its predicted and declared transfers: time outside its run, counted generously so transfers never pass for slowness. */
export const cautiousTransferMs = (a: Attempt): number => Math.max(a.d.predicted.transferMs, a.declaredTransferMs);

/** Milliseconds for reasons: whole above 10, two significant digits below. */
export const fmt = (ms: number): string => (!Number.isFinite(ms) ? "∞" : Math.abs(ms) >= 10 ? ms.toFixed(0) : ms.toPrecision(2));

/** A factor for reasons: "4.8×", "12×", "1.03×". */
export const times = (x: number): string => `${x >= 10 ? x.toFixed(0) : x >= 1.1 ? x.toFixed(1) : x.toFixed(2)}×`;
