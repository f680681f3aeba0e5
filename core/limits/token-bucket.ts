/**
 * A token bucket: `rate` tokens a second, holding at most `burst`. Pure: the caller keeps the
 * state and passes the time, so a Durable Object can hold one bucket per client and tests can
 * step a clock.
 */
export interface Bucket {
  readonly tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  readonly at: number;
}

export type Take =
  | { readonly ok: true; readonly bucket: Bucket; readonly granted: number }
  | { readonly ok: false; readonly bucket: Bucket; readonly retryAfterMs: number };

/** A full bucket. */
export const fullBucket = (burst: number, now: number): Bucket => ({ tokens: burst, at: now });

/** Takes up to `want` whole tokens (at least one) if there is one; otherwise says how long until there will be. */
export function take(bucket: Bucket, now: number, rate: number, burst: number, want = 1): Take {
  const elapsed = Math.max(0, now - bucket.at);
  const tokens = Math.min(burst, bucket.tokens + (elapsed * rate) / 1000);
  if (tokens >= 1) {
    const granted = Math.max(1, Math.min(Math.floor(want), Math.floor(tokens)));
    return { ok: true, bucket: { tokens: tokens - granted, at: now }, granted };
  }
  return { ok: false, bucket: { tokens, at: now }, retryAfterMs: Math.ceil(((1 - tokens) * 1000) / rate) };
}
