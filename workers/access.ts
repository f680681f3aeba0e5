/**
 * Who may call each route, declared where the route is defined: every route's first middleware
 * is `guard(access, body)`, and nothing else decides authorization. The rule is found by the
 * router's own match, so no second path matcher exists to drift from it (a read token once
 * submitted jobs through `POST /v1/%6Aobs`: the rule was picked from the raw path while the
 * router matched the decoded one).
 *
 * Two safety nets around the declarations:
 * - `canonicalOnly` answers 400 to a path that is not canonical (workers/canonical-path.ts),
 *   before routing, so one resource has one spelling;
 * - `declaredOnly` answers 500 to a request whose matched route declares no guard: a route
 *   added without a rule fails closed (and fails the authorization matrix test).
 *
 * A guard authenticates first, then reads the body (at most the route's limit, workers/body.ts):
 * an unauthenticated request costs no more than its headers.
 */
import type { Context, Hono, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { getPath } from "hono/utils/url";
import { RUNNER_HEADERS } from "../runtime/runner-signature.ts";
import { type Scope, authenticateClient, authenticateRunner } from "./auth.ts";
import { type ByteLimit, declaredLength, hasBody, readBody } from "./body.ts";
import { nonCanonical } from "./canonical-path.ts";
import { type App, ApiError } from "./http.ts";

/**
 * Who may call a route.
 * - `anyone`: no credentials (the OpenAPI document).
 * - `client`: a bearer token holding `scope` (admin holds every scope).
 * - `runner`: a runner's signature. The node it acts for is the one it signed as; the route says
 *   where a request names its node (the path's `:id`, or the body's `id`), and a request naming
 *   another node is refused (403) before the route sees it.
 * - `runner-or-client`: either (payloads, which runners fetch and readers inspect).
 */
export type Access =
  | { readonly who: "anyone" }
  | { readonly who: "client"; readonly scope: Scope }
  | { readonly who: "runner"; readonly node: "path" | "body" }
  | { readonly who: "runner-or-client"; readonly scope: Scope };

/**
 * What a route takes as its body: none (a body is refused), JSON of at most `limit` bytes, or a
 * stream the route passes on without reading it here: at most `limit` bytes, declared in
 * Content-Length (411 without, 413 above, before a byte is read), and named by the SHA-256 in
 * the path parameter `digest`, which is what a runner signs as the body's hash (the store the
 * route streams to refuses bytes that do not hash to it).
 */
export type BodyRule =
  | { readonly kind: "none" }
  | { readonly kind: "json"; readonly limit: ByteLimit }
  | { readonly kind: "stream"; readonly limit: ByteLimit; readonly digest: string };

export interface RouteRule {
  readonly access: Access;
  readonly body: BodyRule;
}

export const ANYONE: Access = { who: "anyone" };
/** A runner route naming its node in the path (`/v1/nodes/:id/…`) or in the JSON body's `id`. */
export const runner = (node: "path" | "body"): Access => ({ who: "runner", node });
export const client = (scope: Scope): Access => ({ who: "client", scope });
export const runnerOrClient = (scope: Scope): Access => ({ who: "runner-or-client", scope });
export const NO_BODY: BodyRule = { kind: "none" };
export const jsonBody = (limit: ByteLimit): BodyRule => ({ kind: "json", limit });
export const streamedBody = (limit: ByteLimit, digest: string): BodyRule => ({ kind: "stream", limit, digest });

/** Each guard's rule, by the middleware function the router holds. */
const RULES = new WeakMap<object, RouteRule>();

/** Hono wraps a mounted sub-app's handler when the apps' error handlers differ; the original is kept here. */
const COMPOSED_HANDLER = "__COMPOSED_HANDLER";

const ruleOf = (handler: object): RouteRule | undefined =>
  RULES.get(handler) ?? RULES.get((handler as Record<string, object | undefined>)[COMPOSED_HANDLER] ?? {});

/** The route's authorization and body rule; put it first among the route's middleware. */
export function guard(access: Access, body: BodyRule = NO_BODY): MiddlewareHandler<App> {
  const rule: RouteRule = { access, body };
  const middleware: MiddlewareHandler<App> = async (c, next) => {
    if (body.kind === "none" && hasBody(c.req.raw)) {
      throw new ApiError(400, "unexpected_body", `${c.req.method} ${new URL(c.req.url).pathname} takes no request body`);
    }
    let bytes: Uint8Array | undefined;
    const read = async () => (bytes ??= body.kind === "json" ? await readBody(c, body.limit) : new Uint8Array(0));
    // A streamed body is never read here: a signature covers it through the digest its path names.
    const signed = async () => (body.kind === "stream" ? { sha256: c.req.param(body.digest) ?? "" } : read());
    switch (access.who) {
      case "anyone":
        break;
      case "client":
        c.set("principal", await authenticateClient(c, access.scope));
        break;
      case "runner":
        c.set("runner", await authenticateRunner(c, signed));
        actingFor(c, access.node === "path" ? c.req.param("id") : bodyId(await read()));
        break;
      case "runner-or-client":
        if (c.req.header(RUNNER_HEADERS.signature) !== undefined) c.set("runner", await authenticateRunner(c, signed));
        else c.set("principal", await authenticateClient(c, access.scope));
        break;
    }
    // A runner's body was read to verify its signature; any other is read now, after authentication.
    if (body.kind === "stream") declaredLength(c, body.limit);
    else await read();
    return next();
  };
  RULES.set(middleware, rule);
  return middleware;
}

/** 403 for a signed runner request naming a node other than the one it signed as: a runner acts only for itself. */
function actingFor(c: Context<App>, claimed: string | undefined): void {
  const runner = c.get("runner");
  if (claimed !== undefined && claimed !== runner) throw new ApiError(403, "forbidden", `runner "${runner}" cannot act for node "${claimed}"`);
}

/** The `id` a JSON body names, if it names one (else the route's validation refuses the body). */
function bodyId(body: Uint8Array): string | undefined {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body)) as { id?: unknown } | null;
    return typeof parsed?.id === "string" ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}

/** 400 for a path that is not canonical, before routing (workers/canonical-path.ts). */
export const canonicalOnly: MiddlewareHandler<App> = async (c, next) => {
  const problem = nonCanonical(c.req.url);
  if (problem !== null) throw new ApiError(400, "non_canonical_path", `${problem}: send the path in its canonical form`);
  return next();
};

/** 500 for a matched route that declares no guard: an undeclared route is refused, never open. */
export const declaredOnly: MiddlewareHandler<App> = async (c, next) => {
  const routes = matchedRoutes(c).filter((r) => r.method !== "ALL");
  const [first] = routes;
  if (first !== undefined && !routes.some((r) => r.path === first.path && ruleOf(r.handler) !== undefined)) {
    throw new ApiError(500, "misconfigured", `route ${first.method} ${first.path} declares no authorization (workers/access.ts guard)`);
  }
  return next();
};

export interface DeclaredRoute {
  readonly method: string;
  readonly path: string;
  /** null: the route declares no guard (a bug the authorization matrix test reports). */
  readonly rule: RouteRule | null;
}

/** Every route of the app with its declared rule, from the router's own list (for tests and docs). */
export function declaredRoutes(app: Hono<App>): DeclaredRoute[] {
  const byRoute = new Map<string, { method: string; path: string; rule: RouteRule | null }>();
  for (const r of app.routes) {
    if (r.method === "ALL") continue;
    const key = `${r.method} ${r.path}`;
    const known = byRoute.get(key) ?? { method: r.method, path: r.path, rule: null };
    known.rule ??= ruleOf(r.handler) ?? null;
    byRoute.set(key, known);
  }
  return [...byRoute.values()];
}

/**
 * The rule of the route the router itself would pick for the request (null: no route, or one
 * without a guard): the router's own match on the path as Hono reads it, not a second matcher.
 * Tests use it to sign requests as a runner would, and to know which answers to expect.
 */
export function ruleFor(app: Hono<App>, request: Request): RouteRule | null {
  const method = request.method === "HEAD" ? "GET" : request.method;
  const [matched] = app.router.match(method, getPath(request)) as unknown as [[[unknown, { method: string; handler: object }], unknown][]];
  for (const [[, route]] of matched) {
    if (route.method === "ALL") continue;
    const rule = ruleOf(route.handler);
    if (rule !== undefined) return rule;
  }
  return null;
}
