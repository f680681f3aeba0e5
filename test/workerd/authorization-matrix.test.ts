/**
 * The authorization matrix, generated from the router's own list of routes (workers/access.ts
 * declaredRoutes): every route × every caller (no token, read, submit, admin, the runner the
 * request names, another runner) × every spelling of its path (plain, percent-encoded letters in
 * either case, an empty segment, a trailing slash, a dot segment). A plain path is answered as
 * its declared rule says (test/shared/access-matrix.ts); every other spelling is refused with
 * 400 before routing, whoever sends it. A route added without a declared rule fails here.
 */
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { canonicalOnly, client, declaredOnly, declaredRoutes, guard, type RouteRule } from "../../workers/access.ts";
import { app } from "../shared/app.ts";
import { type App, onError } from "../../workers/http.ts";
import { deriveRunnerSecret, newNonce, signRequest } from "../../runtime/runner-signature.ts";
import { type Caller, conforms, expected } from "../shared/access-matrix.ts";
import { TEST_RUNNER_KEY, TEST_TOKENS } from "../shared/tokens.ts";

const BASE = "http://paxflow.test";
const OWN = "matrix-own";
const OTHER = "matrix-other";

/** A value for each path parameter that passes validation but names nothing, so an allowed request changes nothing. */
const PARAMS: Record<string, string> = { sha256: "0".repeat(64), shard: "99", index: "99" };
const paramValue = (name: string, path: string) => (name === "id" ? (path.startsWith("/v1/nodes/") ? OWN : "j-" + "0".repeat(24)) : PARAMS[name]!);

const concrete = (template: string) => template.replace(/:(\w+)/g, (_, name: string) => paramValue(name, template));

/** A body the route can parse: a registration of OWN for the register route, else an object naming OWN. */
function bodyFor(rule: RouteRule, path: string): string | undefined {
  if (rule.body.kind === "none") return undefined;
  if (path === "/v1/nodes") return JSON.stringify({ id: OWN, url: "http://127.0.0.1:9", caps: ["cpu"], speed: { cpu: 1 }, slots: 1, latencyMs: 1, bandwidthMBps: 100 });
  return JSON.stringify({ id: OWN });
}

/** Spellings of a plain path that are not canonical: the router would match most of them to the same route. */
function variants(path: string): [string, string][] {
  const segments = path.split("/"); // ["", "v1", "jobs", ...]
  const encode = (segment: number, upper: boolean) => {
    const s = segments.slice();
    const hex = s[segment]!.charCodeAt(0).toString(16);
    s[segment] = `%${upper ? hex.toUpperCase() : hex}${s[segment]!.slice(1)}`;
    return s.join("/");
  };
  const last = segments.length - 1;
  const out: [string, string][] = [
    ["encoded first segment", encode(1, true)],
    ["encoded last segment", encode(last, true)],
    ["encoded last segment, lower-case hex", encode(last, false)],
    ["empty segment", [...segments.slice(0, 2), "", ...segments.slice(2)].join("/")],
    ["trailing slash", `${path}/`],
  ];
  return out.filter(([, p]) => p !== path);
}

const CALLERS: readonly (readonly [string, Caller])[] = [
  ["no token", { kind: "nobody" }],
  ["read token", { kind: "token", name: "reader", scopes: ["read"] }],
  ["submit token", { kind: "token", name: "submitter", scopes: ["submit"] }],
  ["admin token", { kind: "token", name: "admin", scopes: ["admin"] }],
  ["its own runner", { kind: "runner", own: true }],
  ["another runner", { kind: "runner", own: false }],
];

async function send(method: string, path: string, caller: Caller, body: string | undefined, streamed: boolean): Promise<{ status: number; code: string | undefined }> {
  const url = `${BASE}${path}`;
  const headers: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" };
  if (caller.kind === "token") headers.authorization = `Bearer ${TEST_TOKENS[caller.name as keyof typeof TEST_TOKENS]}`;
  if (caller.kind === "runner") {
    const as = caller.own ? OWN : OTHER;
    // Signed over the URL as the Request will carry it, so only the rule under test decides.
    const signedUrl = new Request(url).url;
    // A streamed body is signed by the digest its path names (workers/access.ts streamedBody).
    const covers = streamed ? { bodySha256: PARAMS.sha256! } : { body: body ?? "" };
    Object.assign(headers, await signRequest({ runnerId: as, secret: await deriveRunnerSecret(TEST_RUNNER_KEY, as), method, url: signedUrl, ...covers, now: Date.now(), nonce: newNonce() }));
  }
  // The Worker's app in this workerd isolate, with its real bindings (Durable Objects, R2): the
  // service-binding hop of exports.default adds nothing here but time.
  const response = await app.fetch(new Request(url, { method, headers, ...(body === undefined ? {} : { body }) }), env);
  // Event streams stay open: their status is the answer.
  if (response.headers.get("content-type")?.startsWith("text/event-stream")) {
    await response.body?.cancel();
    return { status: response.status, code: undefined };
  }
  const text = await response.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: response.status, code };
}

const routes = declaredRoutes(app);

describe("authorization matrix", () => {
  it("every route of the router declares who may call it", () => {
    expect(routes.length).toBeGreaterThan(15);
    expect(routes.filter((r) => r.rule === null).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it("a route without a declared rule is refused (500), never served", async () => {
    const careless = new Hono<App>();
    careless.use("*", canonicalOnly, declaredOnly);
    careless.get("/v1/declared", guard(client("read")), (c) => c.json({ ok: true }));
    careless.get("/v1/forgotten", (c) => c.json({ secret: true }));
    careless.onError(onError);
    expect(declaredRoutes(careless).find((r) => r.path === "/v1/forgotten")?.rule).toBeNull();
    const forgotten = await careless.fetch(new Request(`${BASE}/v1/forgotten`), env);
    expect(forgotten.status).toBe(500);
    expect(await forgotten.text()).toContain("declares no authorization");
    expect((await careless.fetch(new Request(`${BASE}/v1/declared`), env)).status).toBe(401);
  });

  it("answers every route × caller × path spelling as declared", async () => {
    const wrong: string[] = [];
    let tried = 0;
    let refused = 0;
    /** One request and its verdict: `want` a declared answer, or "non-canonical" (400 before routing). */
    const check = async (label: string, method: string, path: string, caller: Caller, body: string | undefined, want: ReturnType<typeof expected> | "non-canonical", streamed = false) => {
      const answer = await send(method, path, caller, body, streamed);
      tried++;
      if (want === "non-canonical" || !want.allowed) refused++;
      const ok = want === "non-canonical" ? answer.status === 400 && answer.code === "non_canonical_path" : conforms(want, answer.status);
      if (!ok) wrong.push(`${method} ${path} (${label}): ${answer.status} ${answer.code ?? ""}, want ${want === "non-canonical" ? "400 non_canonical_path" : want.allowed ? "allowed" : want.status}`);
    };
    for (const { method, path: template, rule } of routes) {
      const path = concrete(template);
      const body = bodyFor(rule!, template);
      const streamed = rule!.body.kind === "stream";
      // A route's callers and spellings at once: each request is independent of the others.
      await Promise.all(
        CALLERS.flatMap(([who, caller]) => {
          const want = expected(rule!.access, caller);
          return [
            check(who, method, path, caller, body, want, streamed),
            ...variants(path).map(([form, spelled]) => check(`${form}, ${who}`, method, spelled, caller, body, "non-canonical")),
            // A dot segment: the URL parser resolves it before the Worker sees it, so it is the plain path.
            check(`dot segment, ${who}`, method, path.replace(/^\/([^/]+)\//, "/$1/./"), caller, body, want, streamed),
          ];
        }),
      );
    }
    console.log(`authorization matrix: ${routes.length} routes × ${CALLERS.length} callers, ${tried} requests, ${refused} to refuse, ${wrong.length} answered otherwise`);
    expect(wrong).toEqual([]);
  }, 240_000);
});
