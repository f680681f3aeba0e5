/**
 * Jobs per client token per second: a token bucket per token name in a RateLimiter Durable
 * Object (durable-objects/rate-limiter.ts), JOBS_PER_SECOND a second with bursts of JOBS_BURST.
 * Over the limit: 429 with Retry-After, naming the token and the limit.
 */
import type { MiddlewareHandler } from "hono";
import { integer } from "../durable-objects/shard-config.ts";
import { type App, ApiError } from "./http.ts";

export const DEFAULT_JOBS_PER_SECOND = 1_000;

export const limitSubmissions: MiddlewareHandler<App> = async (c, next) => {
  const principal = c.get("principal");
  if (!principal) return next();
  const rate = integer("JOBS_PER_SECOND", c.env.JOBS_PER_SECOND, 1, DEFAULT_JOBS_PER_SECOND);
  const burst = integer("JOBS_BURST", c.env.JOBS_BURST, 1, 2 * rate);
  const limiter = c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(principal.name));
  const verdict = await limiter.take(rate, burst);
  if (!verdict.ok) {
    const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
    throw new ApiError(429, "rate_limited", `token "${principal.name}" submits more than ${rate} jobs a second (bursts of ${burst}; JOBS_PER_SECOND, JOBS_BURST); retry in ${seconds} s`, {
      "Retry-After": String(seconds),
    });
  }
  return next();
};
