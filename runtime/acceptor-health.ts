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
}

/** Weight of the newest sample in the latency average. */
const EWMA_WEIGHT = 0.2;

const REFUSALS: readonly (ErrorCode | null)[] = ["acceptor-refusing", "lease-held"];

/** What one commander has observed about one acceptor. */
export class AcceptorHealthTracker {
  private lastOkAt: number | null = null;
  private lastError: string | null = null;
  private lastErrorCode: ErrorCode | null = null;
  private lastErrorAt: number | null = null;
  private latencyMs: number | null = null;
  private consecutiveFailures = 0;

  constructor(private readonly acceptor: string) {}

  succeeded(at: number, latencyMs: number): void {
    this.lastOkAt = at;
    this.consecutiveFailures = 0;
    this.latencyMs = this.latencyMs === null ? latencyMs : (1 - EWMA_WEIGHT) * this.latencyMs + EWMA_WEIGHT * latencyMs;
  }

  failed(at: number, error: unknown): void {
    this.lastError = errorMessage(error);
    this.lastErrorCode = errorCode(error);
    this.lastErrorAt = at;
    this.consecutiveFailures++;
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
    };
  }
}
