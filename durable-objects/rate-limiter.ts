import { DurableObject } from "cloudflare:workers";
import { type Bucket, fullBucket, take } from "../core/limits/token-bucket.ts";
import type { Env } from "./env.ts";

/**
 * One per client token name (`idFromName(name)`): the token bucket that limits how many jobs
 * that client submits a second (JOBS_PER_SECOND, JOBS_BURST). Held in memory: a limiter that
 * restarts starts full, which errs towards letting work in.
 */
export class RateLimiter extends DurableObject<Env> {
  private bucket: Bucket | null = null;

  /** Up to `want` tokens (a Worker isolate spends them locally), or how long until one is there. */
  take(rate: number, burst: number, want = 1): { ok: true; granted: number } | { ok: false; retryAfterMs: number } {
    const now = Date.now();
    const result = take(this.bucket ?? fullBucket(burst, now), now, rate, burst, want);
    this.bucket = result.bucket;
    return result.ok ? { ok: true, granted: result.granted } : { ok: false, retryAfterMs: result.retryAfterMs };
  }
}
