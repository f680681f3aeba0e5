/**
 * Client authentication: bearer tokens with scopes. `API_TOKENS` (a Worker secret:
 * `wrangler secret put API_TOKENS`; `paxflow dev` sets a local default and prints it) holds
 * comma-separated entries `name=token=scope+scope`:
 *
 *   read    GET jobs, their events and explanations, nodes, the cluster
 *   submit  POST /v1/jobs, DELETE /v1/jobs/:id
 *   admin   everything, and POST /v1/commands (raw log commands)
 *
 * Missing or unknown token: 401; a token without the route's scope: 403. Tokens are kept only as
 * SHA-256 digests and never appear in answers, logs or log entries. The OpenAPI document needs
 * no token. The runner
 * routes (register, heartbeat, results, payloads) are the runner protocol's, authenticated by
 * their own signatures, not by these tokens.
 */
import type { MiddlewareHandler } from "hono";
import type { App } from "./http.ts";
import { ApiError } from "./http.ts";

export const SCOPES = ["read", "submit", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** Shortest token accepted: 128 bits of base64 or hex, so tokens cannot be guessed. */
export const MIN_TOKEN_LENGTH = 24;

export interface Principal {
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
}

/** API_TOKENS that cannot be parsed: a 500 naming the entry (by position and name, never its token). */
export class AuthConfigError extends Error {}

/** The scope a route needs; null for routes that take no client token. */
export function requiredScope(method: string, path: string): Scope | null {
  if (path === "/v1/openapi.json") return null;
  // The runner protocol's routes (docs/runner-protocol.md).
  if (method === "POST" && (path === "/v1/nodes" || /^\/v1\/nodes\/[^/]+\/(heartbeat|results)$/.test(path))) return null;
  if (path.startsWith("/v1/payloads/")) return null;
  if (path === "/v1/commands") return "admin";
  if (method === "POST" && path === "/v1/jobs") return "submit";
  if (method === "DELETE" && path.startsWith("/v1/jobs/")) return "submit";
  return "read";
}

const ENTRY = /^([A-Za-z0-9_.-]{1,64})=([^=,\s]+)=([a-z+]+)$/;

/** Parses API_TOKENS into token digest → principal. */
export async function parseTokens(raw: string): Promise<Map<string, Principal>> {
  const out = new Map<string, Principal>();
  const entries = raw
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  for (const [i, entry] of entries.entries()) {
    const m = ENTRY.exec(entry);
    const name = /^([A-Za-z0-9_.-]{1,64})=/.exec(entry)?.[1];
    const which = `API_TOKENS entry ${i + 1}${name ? ` ("${name}")` : ""}`;
    if (!m) throw new AuthConfigError(`${which} must look like name=token=scope+scope (scopes: ${SCOPES.join(", ")})`);
    const [, , token, scopeList] = m;
    if (token!.length < MIN_TOKEN_LENGTH) throw new AuthConfigError(`${which}: the token must be at least ${MIN_TOKEN_LENGTH} characters`);
    const scopes = scopeList!.split("+");
    const unknown = scopes.find((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown !== undefined) throw new AuthConfigError(`${which}: unknown scope "${unknown}" (scopes: ${SCOPES.join(", ")})`);
    const digest = await sha256(token!);
    if (out.has(digest)) throw new AuthConfigError(`${which}: the same token appears twice`);
    out.set(digest, { name: name!, scopes: new Set(scopes as Scope[]) });
  }
  return out;
}

async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Per isolate: the parsed tokens of the last API_TOKENS value seen. */
let cache: { raw: string; tokens: Promise<Map<string, Principal>> } | null = null;

const challenge = { "WWW-Authenticate": 'Bearer realm="paxflow"' };

/** Authenticates the request for its route's scope; the principal's name is on the context for what follows. */
export const authenticate: MiddlewareHandler<App & { Variables: { principal?: Principal } }> = async (c, next) => {
  const scope = requiredScope(c.req.method === "HEAD" ? "GET" : c.req.method, new URL(c.req.url).pathname);
  if (scope === null) return next();
  const raw = c.env.API_TOKENS ?? "";
  if (raw.trim() === "") {
    throw new ApiError(401, "unauthorized", "this deployment has no API tokens: set API_TOKENS (wrangler secret put API_TOKENS; see SECURITY.md)", challenge);
  }
  if (cache?.raw !== raw) cache = { raw, tokens: parseTokens(raw) };
  const tokens = await cache.tokens.catch((error: unknown) => {
    cache = null;
    throw error;
  });
  const header = c.req.header("authorization");
  if (header === undefined) throw new ApiError(401, "unauthorized", "missing bearer token: send Authorization: Bearer <token>", challenge);
  const m = /^Bearer +(\S+) *$/i.exec(header);
  if (!m) throw new ApiError(401, "unauthorized", "the Authorization header must be: Bearer <token>", challenge);
  const principal = tokens.get(await sha256(m[1]!));
  if (!principal) throw new ApiError(401, "unauthorized", "unknown bearer token", challenge);
  if (!principal.scopes.has(scope) && !principal.scopes.has("admin")) {
    throw new ApiError(403, "forbidden", `token "${principal.name}" lacks the ${scope} scope this route needs (it has: ${[...principal.scopes].join(", ")})`);
  }
  c.set("principal", principal);
  return next();
};
