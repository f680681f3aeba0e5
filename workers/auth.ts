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
 * off) and replays (a nonce seen in this isolate) are refused. Payloads take a runner signature
 * or a client token with `read`.
 */
import type { Context, MiddlewareHandler } from "hono";
import { MAX_SKEW_MS, RUNNER_HEADERS, verifyRequest } from "../runtime/runner-signature.ts";
import { COMMANDER_DEFAULTS } from "../runtime/commander-driver.ts";
import { integer } from "../durable-objects/shard-config.ts";
import type { App } from "./http.ts";
import { DEFAULT_MAX_RESULT_BYTES } from "./defaults.ts";
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

/** Who may call a route: a client token with a scope, a signed runner request (acting for the node id in the path or the body), either, or anyone. */
export type RouteAuth =
  | { readonly kind: "client"; readonly scope: Scope }
  | { readonly kind: "runner"; readonly nodeIdFrom: "path" | "body" }
  | { readonly kind: "runner-or-read" }
  | { readonly kind: "none" };

export function routeAuth(method: string, path: string): RouteAuth {
  if (path === "/v1/openapi.json") return { kind: "none" };
  // The runner protocol's routes (docs/runner-protocol.md).
  if (method === "POST" && path === "/v1/nodes") return { kind: "runner", nodeIdFrom: "body" };
  if (method === "POST" && /^\/v1\/nodes\/[^/]+\/(heartbeat|results)$/.test(path)) return { kind: "runner", nodeIdFrom: "path" };
  if (path.startsWith("/v1/payloads/")) return { kind: "runner-or-read" };
  if (method === "DELETE" && /^\/v1\/nodes\/[^/]+$/.test(path)) return { kind: "client", scope: "admin" };
  if (path === "/v1/commands" || path.startsWith("/v1/chaos/")) return { kind: "client", scope: "admin" };
  if (method === "POST" && path === "/v1/jobs") return { kind: "client", scope: "submit" };
  if (method === "DELETE" && path.startsWith("/v1/jobs/")) return { kind: "client", scope: "submit" };
  return { kind: "client", scope: "read" };
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

type AuthContext = Context<App>;

/** Authenticates the request as its route requires (routeAuth); who it is goes on the context. */
export const authenticate: MiddlewareHandler<App> = async (c, next) => {
  const path = new URL(c.req.url).pathname;
  const rule = routeAuth(c.req.method === "HEAD" ? "GET" : c.req.method, path);
  if (rule.kind === "none") return next();
  if (rule.kind === "runner" || (rule.kind === "runner-or-read" && c.req.header(RUNNER_HEADERS.signature) !== undefined)) {
    c.set("runner", await authenticateRunner(c, rule.kind === "runner" ? rule.nodeIdFrom : null, path));
    return next();
  }
  c.set("principal", await authenticateClient(c, rule.kind === "client" ? rule.scope : "read"));
  return next();
};

async function authenticateClient(c: AuthContext, scope: Scope): Promise<Principal> {
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

type Limit = readonly ["MAX_RESULT_BYTES" | "MAX_COMMAND_BYTES", number];
const RESULT_LIMIT: Limit = ["MAX_RESULT_BYTES", DEFAULT_MAX_RESULT_BYTES];
const COMMAND_LIMIT: Limit = ["MAX_COMMAND_BYTES", COMMANDER_DEFAULTS.maxCommandBytes];

/**
 * The body, read to verify its signature, at most the route's limit (413 naming the variable
 * beyond it, before more is read); the request is rebuilt around the bytes so the route reads
 * them again.
 */
async function readCapped(c: AuthContext, limit: Limit | null): Promise<Uint8Array> {
  const raw = c.req.raw;
  if (raw.body === null) return new Uint8Array(0);
  const max = limit === null ? 0 : integer(limit[0], c.env[limit[0]], 1, limit[1]);
  const tooLarge = () => new ApiError(413, "payload_too_large", `request body exceeds the limit of ${max} bytes (${limit![0]})`);
  if (limit !== null && Number(raw.headers.get("content-length") ?? 0) > max) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = raw.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (limit !== null && size > max) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) (body.set(chunk, at), (at += chunk.byteLength));
  c.req.raw = new Request(raw, { body });
  return body;
}

/** Nonces seen in the last MAX_SKEW_MS, per isolate: a replay that reaches this isolate is refused. */
const seenNonces = new Map<string, number>();

function remember(nonce: string, now: number): boolean {
  if (seenNonces.size > 50_000) for (const [n, until] of seenNonces) if (until < now) seenNonces.delete(n);
  if ((seenNonces.get(nonce) ?? 0) >= now) return false;
  seenNonces.set(nonce, now + 2 * MAX_SKEW_MS);
  return true;
}

/** Verifies a runner's signature (runtime/runner-signature.ts); returns the runner id it proved. */
async function authenticateRunner(c: AuthContext, nodeIdFrom: "path" | "body" | null, path: string): Promise<string> {
  const key = c.env.RUNNER_KEY ?? "";
  if (key.trim() === "") throw new ApiError(401, "unauthorized", "this deployment has no RUNNER_KEY: set it (wrangler secret put RUNNER_KEY; see SECURITY.md)");
  const body = await readCapped(c, nodeIdFrom === null ? null : path.endsWith("/results") ? RESULT_LIMIT : COMMAND_LIMIT);
  const now = Date.now();
  const verdict = await verifyRequest({ runnerKey: key, method: c.req.method, url: c.req.url, header: (name) => c.req.header(name), body, now });
  if (!verdict.ok) throw new ApiError(401, "unauthorized", verdict.reason);
  if (!remember(verdict.nonce!, now)) throw new ApiError(401, "unauthorized", `replayed runner request (nonce ${verdict.nonce} was used already)`);
  c.set("signedAt", verdict.signedAt);
  const claimed = nodeIdFrom === "path" ? safeDecode(path.split("/")[3] ?? "") : nodeIdFrom === "body" ? bodyId(body) : verdict.runnerId;
  if (claimed !== undefined && claimed !== verdict.runnerId) {
    throw new ApiError(403, "forbidden", `runner "${verdict.runnerId}" cannot act for node "${claimed}"`);
  }
  return verdict.runnerId;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined; // the route's own validation names the bad id
  }
}

/** The `id` of a registration body, if it has one (else the route's validation answers). */
function bodyId(body: Uint8Array): string | undefined {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body)) as { id?: unknown };
    return typeof parsed?.id === "string" ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}
