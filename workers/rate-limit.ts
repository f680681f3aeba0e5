/**
 * Jobs per client token per second: a token bucket per token name in a RateLimiter Durable
 * Object (durable-objects/rate-limiter.ts), JOBS_PER_SECOND a second with bursts of JOBS_BURST.
 * Over the limit: 429 with Retry-After, naming the token and the limit.
 *
 * An isolate takes tokens a tenth of a second's worth at a time and spends them locally for up
 * to LEASE_MS, so a busy client costs one Durable Object call per batch of submissions rather
 * than one per submission. Tokens an isolate does not spend in time lapse: the Durable Object
 * hands out no more than the rate, so the limit holds across isolates, and can only err low.
 */
import type { MiddlewareHandler } from "hono";
import { integer } from "../durable-objects/shard-config.ts";
import { type App, ApiError } from "./http.ts";

export const DEFAULT_JOBS_PER_SECOND = 1_000;

/** How long tokens taken from the Durable Object may be spent by this isolate. */
const LEASE_MS = 1_000;

interface Lease {
  tokens: number;
  until: number;
  /** The Durable Object call refilling it, which concurrent requests wait for rather than repeat. */
  refill?: Promise<Verdict>;
}
type Verdict = { ok: true; granted: number } | { ok: false; retryAfterMs: number };

/** Per isolate: tokens taken and not yet spent, per token name and limit (a changed limit starts afresh). */
const leases = new Map<string, Lease>();

/** One token for this request: from the isolate's lease, refilled from the Durable Object a batch at a time. */
export async function acquire(key: string, refill: (want: number) => Promise<Verdict>, batch: number): Promise<Verdict> {
  const lease = leases.get(key) ?? { tokens: 0, until: 0 };
  leases.set(key, lease);
  // A few rounds: a refill that others drained before this request got its token is refilled again.
  for (let round = 0; round < 3; round++) {
    if (lease.tokens >= 1 && Date.now() < lease.until) {
      lease.tokens--;
      return { ok: true, granted: 1 };
    }
    if (!lease.refill) {
      lease.refill = refill(batch).then((v) => {
        if (v.ok) Object.assign(lease, { tokens: v.granted, until: Date.now() + LEASE_MS });
        return v;
      });
      void lease.refill.finally(() => (lease.refill = undefined)).catch(() => undefined);
    }
    const verdict = await lease.refill;
    if (!verdict.ok) return verdict;
  }
  return refill(1);
}

export const limitSubmissions: MiddlewareHandler<App> = async (c, next) => {
  const principal = c.get("principal");
  if (!principal) return next();
  const rate = integer("JOBS_PER_SECOND", c.env.JOBS_PER_SECOND, 1, DEFAULT_JOBS_PER_SECOND);
  const burst = integer("JOBS_BURST", c.env.JOBS_BURST, 1, 2 * rate);
  const limiter = c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(principal.name));
  const verdict = await acquire(`${principal.name}|${rate}|${burst}`, (want) => limiter.take(rate, burst, want), Math.min(burst, Math.ceil(rate / 10)));
  if (!verdict.ok) {
    const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
    throw new ApiError(429, "rate_limited", `token "${principal.name}" submits more than ${rate} jobs a second (bursts of ${burst}; JOBS_PER_SECOND, JOBS_BURST); retry in ${seconds} s`, {
      "Retry-After": String(seconds),
    });
  }
  return next();
};
