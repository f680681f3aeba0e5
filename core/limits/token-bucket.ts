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

export type Take = { readonly ok: true; readonly bucket: Bucket } | { readonly ok: false; readonly bucket: Bucket; readonly retryAfterMs: number };

/** A full bucket. */
export const fullBucket = (burst: number, now: number): Bucket => ({ tokens: burst, at: now });

/** Takes one token if there is one; otherwise says how long until there will be. */
export function take(bucket: Bucket, now: number, rate: number, burst: number): Take {
  const elapsed = Math.max(0, now - bucket.at);
  const tokens = Math.min(burst, bucket.tokens + (elapsed * rate) / 1000);
  if (tokens >= 1) return { ok: true, bucket: { tokens: tokens - 1, at: now } };
  return { ok: false, bucket: { tokens, at: now }, retryAfterMs: Math.ceil(((1 - tokens) * 1000) / rate) };
}
