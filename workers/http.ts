/**
 * HTTP plumbing every route shares. Errors are always JSON `{"error": {"code", "message"}}`
 * naming the field or limit at fault, and a 500 never leaks a stack.
 */
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Env } from "../durable-objects/env.ts";
import { ShardConfigError } from "../durable-objects/shard-config.ts";
import { jsonLogger } from "../runtime/log.ts";
import type { Registry } from "../core/sdk/registry.ts";
import { AuthConfigError, type Principal } from "./auth.ts";

/**
 * Who the request proved to be (workers/auth.ts): a client's token, or a runner's id and the
 * timestamp it signed with; and its trace id (traced). `registry`: the deployment's stages and
 * jobs (api.ts createApp sets it first).
 */
export type App = { Bindings: Env; Variables: { registry: Registry; principal?: Principal; runner?: string; signedAt?: number; trace?: string } };

/** Traces longer than this, or with other characters, are replaced (they go into log lines and a header). */
const TRACE = /^[\w.:-]{1,128}$/;

/**
 * Gives every request a trace id (the caller's `x-paxflow-trace`, else `cf-ray`, else a new
 * one), answers it in `x-paxflow-trace`, and puts it on the API's log lines (runtime/log.ts).
 */
export const traced: MiddlewareHandler<App> = async (c, next) => {
  const given = c.req.header("x-paxflow-trace") ?? c.req.header("cf-ray");
  const trace = given && TRACE.test(given) ? given : crypto.randomUUID();
  c.set("trace", trace);
  c.header("x-paxflow-trace", trace);
  await next();
  // A Response a handler built itself (a static page, a payload) does not get Hono's prepared headers.
  if (c.res.headers.get("x-paxflow-trace") !== trace) {
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set("x-paxflow-trace", trace);
  }
};

/** The API's logger for this request: its trace on every line. */
export const requestLog = (c: Context<App>) => jsonLogger({ trace: c.get("trace") ?? null, method: c.req.method, path: new URL(c.req.url).pathname });

/**
 * Statuses a client may retry unchanged (after Retry-After, when the answer has one): what stood
 * in the way was the server's state, not the request. Any other error needs the request changed.
 */
const RETRYABLE: ReadonlySet<number> = new Set([408, 425, 429, 502, 503, 504]);

export const fail = (c: Context, status: ContentfulStatusCode, code: string, message: string) => c.json({ error: { code, message, retryable: RETRYABLE.has(status) } }, status);

/** A request that cannot succeed. Thrown, so handlers read as their happy path; onError answers it. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function onError(error: Error, c: Context<App>): Response {
  if (error instanceof ApiError) {
    for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
    return fail(c, error.status, error.code, error.message);
  }
  // Hono's validators throw these for bodies they cannot read at all.
  if (error instanceof HTTPException) {
    if (error.status === 415) {
      const got = c.req.header("content-type");
      return fail(
        c,
        415,
        "unsupported_media_type",
        `request body must be JSON sent with Content-Type: application/json (got ${got ? `"${got}"` : "none"})`,
      );
    }
    if (error.status === 400 && /JSON/.test(error.message)) return fail(c, 400, "invalid_json", "request body is not valid JSON");
    return fail(c, error.status, "bad_request", error.message);
  }
  if (error instanceof ShardConfigError || error instanceof AuthConfigError) return fail(c, 500, "misconfigured", error.message);
  requestLog(c).error("internal error answering a request", { error });
  return fail(c, 500, "internal", "internal error");
}

/** Where a problem is, as a client would write it: `input.items[2].name`. */
export function formatPath(root: string, path: readonly (PropertyKey | { readonly key: PropertyKey })[]): string {
  let out = root;
  for (const segment of path) {
    const key = typeof segment === "object" ? segment.key : segment;
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Longest `Prefer: wait` honoured: a request should not hold a connection for minutes. */
export const MAX_WAIT_S = 60;

/**
 * RFC 7240 `Prefer: wait=N` (seconds) as ms, at most MAX_WAIT_S; undefined when absent.
 * A preference the server cannot read is ignored, as the RFC asks, rather than refused.
 */
export function preferredWaitMs(prefer: string | undefined): number | undefined {
  for (const preference of (prefer ?? "").split(",")) {
    const match = /^\s*wait\s*=\s*"?(\d+)"?\s*(?:;|$)/i.exec(preference);
    if (match) return Math.min(Number(match[1]), MAX_WAIT_S) * 1_000;
  }
  return undefined;
}
