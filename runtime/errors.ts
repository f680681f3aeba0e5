/**
 * Errors that cross RPC boundaries. Durable Object RPC keeps an error's message but not its
 * class, so each carries a stable "[paxflow:<code>]" tag in its message and callers classify
 * by `errorCode`, never by `instanceof`.
 */
export type ErrorCode =
  | "not-leader"
  | "commit-timeout"
  | "commander-closed"
  | "reconfiguration-superseded"
  | "acceptor-down"
  | "acceptor-refusing"
  | "lease-held"
  | "call-timeout"
  | "chaos-disabled"
  /** The acceptor belongs to a cluster with another bootstrap configuration. Not retryable. */
  | "cluster-mismatch"
  /** One command is larger than maxCommandBytes. Not retryable. */
  | "command-too-large"
  /** Too many commands queued or in flight at this commander; retry later. */
  | "overloaded"
  /** An acceptor was sent something that is not a batch of protocol messages. */
  | "invalid-batch"
  /** A caller passed an argument that can never work (e.g. another shard's acceptor). */
  | "invalid-argument"
  /** The idempotency key already names a job with another name or input. Not retryable. */
  | "idempotency-conflict"
  /**
   * A commander's store of finished jobs has a gap (it adopted a snapshot) that it could not fill
   * from a peer yet; another commander may answer, or the same one later.
   */
  | "store-incomplete"
  /** The job or node is not (or no longer) known. */
  | "not-found"
  /** A registration not newer than the node's current one (a replay, or an outdated spec). Not retryable. */
  | "stale-registration"
  /** MAX_NODES runners are registered already. */
  | "too-many-nodes"
  /** MAX_RUNNING_JOBS jobs run on the shard already; a retry once some finish can succeed. */
  | "too-many-running"
  /** The log names a large payload that the payload store (R2) does not hold. */
  | "payload-missing"
  /**
   * A large payload a decision would name is being deleted (its last job tree expired): nothing
   * naming it is proposed. Retryable: a retry seals the bytes anew (runtime/jobs/payload-holds.ts).
   */
  | "payload-deleting"
  /** Bytes streamed to the payload store do not hash to the name they were sent under (or are not as many as declared): nothing was stored. Not retryable. */
  | "digest-mismatch"
  /** A runner could not be reached. */
  | "runner-unreachable"
  /** A runner answered, but not with "accepted" (unknown stage, bad request). */
  | "runner-refused"
  /** A runner's queue is full (503): the call waits for room, nothing failed (core/jobs/send-windows.ts). */
  | "runner-busy";

/** Errors that no retry can fix: the caller must change something first. */
export const FATAL_CODES: ReadonlySet<ErrorCode> = new Set(["cluster-mismatch", "command-too-large", "invalid-batch", "invalid-argument"]);

/** Refusals of a moment: while a shard elects a leader or one hands over; the same request again can succeed. */
export const TRANSIENT_CODES: ReadonlySet<ErrorCode> = new Set(["not-leader", "commit-timeout", "call-timeout", "commander-closed"]);

/**
 * Runs `work` again while it fails with a transient refusal (or one of `also`), up to `attempts`
 * tries `pauseMs` apart: what a client of a shard does while it elects a leader or hands over.
 */
export async function retryTransient<T>(work: () => Promise<T>, options: { readonly attempts: number; readonly pauseMs: number; readonly also?: readonly ErrorCode[] }): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = errorCode(error);
      const transient = code !== null && (TRANSIENT_CODES.has(code) || (options.also ?? []).includes(code));
      if (attempt >= options.attempts || !transient) throw error;
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  }
}

export class PaxflowError extends Error {
  override readonly name: string = "PaxflowError";
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(`[paxflow:${code}] ${message}`);
  }
}

/** This commander cannot lead now; `leaderHint` names who preempted it, when known. */
export class NotLeaderError extends PaxflowError {
  override readonly name = "NotLeaderError";
  constructor(
    message: string,
    readonly leaderHint: string | null = null,
  ) {
    super("not-leader", leaderHint ? `${message} (leader hint: ${leaderHint})` : message);
  }
}

export function errorCode(error: unknown): ErrorCode | null {
  if (error instanceof PaxflowError) return error.code;
  const message = error instanceof Error ? error.message : String(error);
  const match = /\[paxflow:([a-z-]+)\]/.exec(message);
  return match ? (match[1] as ErrorCode) : null;
}

export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The message without the tag that classifies it: what a client is told. */
export const errorReason = (error: unknown): string => errorMessage(error).replace(/^\[paxflow:[a-z-]+\] /, "");
