/**
 * A runner's requests to the command plane: auth headers on every request, and retries with
 * backoff for what a retry can fix (network errors, 5xx), never for a 4xx, which the same
 * request would get again.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { newNonce, signRequest } from "../runtime/runner-signature.ts";

export interface PlaneRequest {
  readonly method: "GET" | "POST" | "PUT";
  readonly url: string;
  /** The exact JSON text sent, so a signature can cover it. */
  readonly body?: string;
  /** A binary body's SHA-256 (a payload upload, which is named by it): what a signature covers instead. */
  readonly bodySha256?: string;
}

/** A large value's encoded bytes, sent as they are (PUT /v1/payloads/:sha256), with the digest that names them. */
export class Upload {
  constructor(
    readonly bytes: Uint8Array,
    readonly sha256: string,
  ) {}
}

/** Extra headers for one request to the plane (signingHeaders signs each request). */
export type AuthHeaders = (request: PlaneRequest) => Record<string, string> | Promise<Record<string, string>>;

/** Signs every request as `runnerId` with its secret (runtime/runner-signature.ts): a fresh timestamp and nonce each time, retries included. */
export const signingHeaders =
  (runnerId: string, secret: string): AuthHeaders =>
  (request) =>
    signRequest({
      runnerId,
      secret,
      method: request.method,
      url: request.url,
      ...(request.body === undefined ? {} : { body: request.body }),
      ...(request.bodySha256 === undefined ? {} : { bodySha256: request.bodySha256 }),
      now: Date.now(),
      nonce: newNonce(),
    });

/** An answer from the plane, whatever its status; a request that got no answer throws instead. */
export interface PlaneAnswer {
  readonly status: number;
  readonly body: Uint8Array;
}

export interface RetryPolicy {
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** Stop retrying once this long has passed since the first attempt; Infinity retries forever. */
  readonly giveUpAfterMs: number;
}

/** The plane gave no usable answer within the retry policy. */
export class PlaneUnavailableError extends Error {
  override readonly name = "PlaneUnavailableError";
}

export class PlaneClient {
  private readonly base: string;

  constructor(
    apiUrl: string,
    private readonly authHeaders?: AuthHeaders,
  ) {
    this.base = apiUrl.replace(/\/+$/, "");
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  /** Sends `json` as JSON, or an Upload's bytes as CBOR. */
  async send(method: PlaneRequest["method"], path: string, json: unknown, signal?: AbortSignal): Promise<PlaneAnswer> {
    const url = this.url(path);
    const upload = json instanceof Upload ? json : undefined;
    const text = upload !== undefined || json === undefined ? undefined : JSON.stringify(json);
    const request: PlaneRequest = upload ? { method, url, bodySha256: upload.sha256 } : text === undefined ? { method, url } : { method, url, body: text };
    const headers: Record<string, string> = upload ? { "content-type": "application/cbor" } : text === undefined ? {} : { "content-type": "application/json" };
    Object.assign(headers, await this.authHeaders?.(request));
    const response = await fetch(url, { method, headers, body: upload?.bytes ?? text, signal });
    return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) };
  }

  /**
   * Sends until the plane answers with something other than a 5xx, waiting longer after each
   * failure (jittered, so runners restarted together do not retry in lockstep). Returns that
   * answer (2xx or 4xx); throws PlaneUnavailableError once the policy gives up, or the
   * signal's AbortError.
   */
  async sendRetrying(
    method: PlaneRequest["method"],
    path: string,
    json: unknown,
    policy: RetryPolicy,
    signal: AbortSignal,
    onRetry: (reason: string, attempt: number, delayMs: number) => void = () => {},
  ): Promise<PlaneAnswer> {
    const started = Date.now();
    for (let attempt = 1, delay = policy.firstDelayMs; ; attempt++, delay = Math.min(delay * 2, policy.maxDelayMs)) {
      let reason: string;
      try {
        const answer = await this.send(method, path, json, signal);
        if (answer.status < 500) return answer;
        reason = describeAnswer(answer);
      } catch (error) {
        if (signal.aborted) throw error;
        reason = networkReason(error);
      }
      const wait = Math.round(delay * (0.8 + 0.4 * Math.random()));
      if (Date.now() - started + wait > policy.giveUpAfterMs) {
        throw new PlaneUnavailableError(`${method} ${this.url(path)} failed ${attempt} times, last: ${reason}`);
      }
      onRetry(reason, attempt, wait);
      await sleep(wait, undefined, { signal });
    }
  }
}

/** "HTTP 503 overloaded: shard 0 is overloaded", from the plane's { error: { code, message } }. */
export function describeAnswer(answer: PlaneAnswer): string {
  const text = new TextDecoder().decode(answer.body);
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (error && typeof error.message === "string") return `HTTP ${answer.status} ${String(error.code ?? "")}: ${error.message}`;
  } catch {
    // Not the plane's JSON error shape (a proxy's HTML page, say): show the start of it.
  }
  return `HTTP ${answer.status}${text ? `: ${text.slice(0, 200)}` : ""}`;
}

/** fetch says only "fetch failed"; the cause says why (ECONNREFUSED, ENOTFOUND, ...). */
export function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === "string") return cause.code;
  if (cause && typeof cause.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}
