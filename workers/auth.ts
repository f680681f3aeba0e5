/**
 * Client authentication: bearer tokens with scopes. `API_TOKENS` (a Worker secret:
 * `wrangler secret put API_TOKENS`; `paxflow dev` sets a local default and prints it) holds
 * comma-separated entries `name=token=scope+scope`:
 *
 *   read    GET jobs, their events and explanations, nodes, the cluster
 *   submit  POST /v1/jobs, DELETE /v1/jobs/:id
 *   admin   everything, POST /v1/commands (raw log commands) and DELETE /v1/nodes/:id
 *
 * Missing or unknown token: 401; a token without the route's scope: 403. Tokens are kept only as
 * SHA-256 digests and never appear in answers, logs or log entries. The OpenAPI document needs
 * no token.
 *
 * Runners sign every request instead (runtime/runner-signature.ts): HMAC-SHA-256 with a secret
 * derived from `RUNNER_KEY` (another Worker secret) and the runner's id. A runner acts only for
 * its own node id (registration, heartbeats, results); stale requests (timestamp more than 60 s
 * off) and replays (a nonce seen in this isolate) are refused.
 *
 * Which of these a route takes is declared on the route itself (workers/access.ts `guard`);
 * this module only proves who a request comes from.
 */
import type { Context } from "hono";
import { MAX_SKEW_MS, readSignatureHeaders, verifyRequest } from "../runtime/runner-signature.ts";
import { type App, ApiError } from "./http.ts";

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

type AuthContext = Context<App>;

/** The principal of the request's bearer token, which must hold `scope` (or admin): else 401 or 403. */
export async function authenticateClient(c: AuthContext, scope: Scope): Promise<Principal> {
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
  return principal;
}

/** Nonces seen in the last MAX_SKEW_MS, per isolate: a replay that reaches this isolate is refused. */
const seenNonces = new Map<string, number>();

function remember(nonce: string, now: number): boolean {
  if (seenNonces.size > 50_000) for (const [n, until] of seenNonces) if (until < now) seenNonces.delete(n);
  if ((seenNonces.get(nonce) ?? 0) >= now) return false;
  seenNonces.set(nonce, now + 2 * MAX_SKEW_MS);
  return true;
}

/**
 * Verifies a runner's signature (runtime/runner-signature.ts) and returns the runner id it
 * proved. The headers' format and timestamp are checked before `readBody` reads a byte.
 */
export async function authenticateRunner(c: AuthContext, readBody: () => Promise<Uint8Array | { readonly sha256: string }>): Promise<string> {
  const key = c.env.RUNNER_KEY ?? "";
  if (key.trim() === "") throw new ApiError(401, "unauthorized", "this deployment has no RUNNER_KEY: set it (wrangler secret put RUNNER_KEY; see SECURITY.md)");
  const header = (name: string) => c.req.header(name);
  const early = readSignatureHeaders(header, Date.now());
  if (!early.ok) throw new ApiError(401, "unauthorized", early.reason);
  const body = await readBody();
  const now = Date.now();
  const verdict = await verifyRequest({ runnerKey: key, method: c.req.method, url: c.req.url, header, body, now });
  if (!verdict.ok) throw new ApiError(401, "unauthorized", verdict.reason);
  if (!remember(verdict.nonce!, now)) throw new ApiError(401, "unauthorized", `replayed runner request (nonce ${verdict.nonce} was used already)`);
  c.set("signedAt", verdict.signedAt);
  return verdict.runnerId;
}
