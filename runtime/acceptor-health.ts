import { type ErrorCode, errorCode, errorMessage } from "./errors.ts";

export type Health = "unknown" | "ok" | "unreachable" | "refusing";

export interface AcceptorHealth {
  readonly acceptor: string;
  readonly health: Health;
  /** Epoch ms of the last call that succeeded. */
  readonly lastOkAt: number | null;
  readonly lastError: string | null;
  readonly lastErrorAt: number | null;
  /** Exponentially weighted moving average of successful call latency. */
  readonly latencyMs: number | null;
  readonly consecutiveFailures: number;
  /** Epoch ms of the first failure of the current run of failures (null while calls succeed). */
  readonly failingSince: number | null;
}

/** Weight of the newest sample in the latency average. */
const EWMA_WEIGHT = 0.2;

const REFUSALS: readonly (ErrorCode | null)[] = ["acceptor-refusing", "lease-held"];

/**
 * What one commander has observed about one acceptor. The failure detector is a continuous-failure
 * window, not phi accrual: an acceptor counts as dead once every call to it failed (unreachable,
 * timed out or refusing) over at least the window, measured from the first failure of the run to
 * the latest one, so the verdict always rests on a failure observed now, never on silence.
 */
export class AcceptorHealthTracker {
  private lastOkAt: number | null = null;
  private lastError: string | null = null;
  private lastErrorCode: ErrorCode | null = null;
  private lastErrorAt: number | null = null;
  private latencyMs: number | null = null;
  private consecutiveFailures = 0;
  private failingSince: number | null = null;

  constructor(private readonly acceptor: string) {}

  succeeded(at: number, latencyMs: number): void {
    this.lastOkAt = at;
    this.consecutiveFailures = 0;
    this.failingSince = null;
    this.latencyMs = this.latencyMs === null ? latencyMs : (1 - EWMA_WEIGHT) * this.latencyMs + EWMA_WEIGHT * latencyMs;
  }

  failed(at: number, error: unknown): void {
    this.lastError = errorMessage(error);
    this.lastErrorCode = errorCode(error);
    this.lastErrorAt = at;
    this.consecutiveFailures++;
    this.failingSince ??= at;
  }

  /** The last call failed. */
  get failing(): boolean {
    return this.consecutiveFailures > 0;
  }

  /** Smoothed latency of successful calls; null before the first one. */
  get latency(): number | null {
    return this.latencyMs;
  }

  /** How long every call has failed: from the first failure of the current run to the latest (0 if the last call succeeded). */
  failingForMs(): number {
    return this.failingSince === null || this.lastErrorAt === null ? 0 : this.lastErrorAt - this.failingSince;
  }

  /** The continuous-failure detector: every call failed over at least `windowMs` (> 0). */
  deadFor(windowMs: number): boolean {
    return windowMs > 0 && this.failing && this.failingForMs() >= windowMs;
  }

  view(): AcceptorHealth {
    const health: Health =
      this.consecutiveFailures > 0
        ? REFUSALS.includes(this.lastErrorCode)
          ? "refusing"
          : "unreachable"
        : this.lastOkAt === null
          ? "unknown"
          : "ok";
    return {
      acceptor: this.acceptor,
      health,
      lastOkAt: this.lastOkAt,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      latencyMs: this.latencyMs === null ? null : Math.round(this.latencyMs * 100) / 100,
      consecutiveFailures: this.consecutiveFailures,
      failingSince: this.failingSince,
    };
  }
}
