/**
 * Hostile input, property-based (fast-check): random methods, paths, headers, bodies, sizes and
 * encodings against every route of the API Worker, with tokens of every scope, none, or a
 * runner's signature. Whatever arrives, the answer is never a 5xx, never a 2xx to a request the
 * authorization matrix says must be refused (test/shared/access-matrix.ts, from each route's
 * declared rule), every error is JSON naming its code and saying why without a stack, nothing
 * hangs, and a normal job still runs to its right result afterwards. Used in workerd (test/workerd/fuzz-http.test.ts)
 * and on the real local cluster over HTTP (test/e2e/fuzz-http.test.ts).
 */
import fc from "fast-check";
import { expect } from "vitest";
import { runLocally } from "../../core/sdk/local.ts";
import { registry } from "./registry.ts";
import { ruleFor } from "../../workers/access.ts";
import { app } from "../shared/app.ts";
import type { Scope } from "../../workers/auth.ts";
import { RUNNER_HEADERS } from "../../runtime/runner-signature.ts";
import { type Caller, expected } from "./access-matrix.ts";

export type Fetch = (request: Request) => Promise<Response>;

export interface FuzzReport {
  /** Requests sent and answered. */
  readonly sent: number;
  /** Generated requests the Request constructor itself refused (no client could send them). */
  readonly refusedByRuntime: number;
  /** Answers by status. */
  readonly statuses: Readonly<Record<number, number>>;
  /** Requests to a route whose declared rule refuses their caller (none of them got a 2xx). */
  readonly refusedByRule: number;
}

/** A token the cluster knows, with its name and scopes: the fuzzer sends each as a caller. */
export interface FuzzToken {
  readonly token: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
}

/** A request that takes longer than this counts as a hang. */
const HANG_MS = 20_000;

const JOB_ID = "j-" + "0".repeat(24);
const SHA = "a".repeat(64);
const JOB_NAMES = [...registry.jobs.keys()];

/** Path segments that break parsers: empty, dots, encodings (valid and not), NUL, unicode, very long. */
const segment = fc.oneof(
  fc.constantFrom("", ".", "..", "%", "%ZZ", "%00", "%2F", "%E2%82%AC", "€", "a b", "'", "\"", "<script>", JOB_ID, SHA, "runner-1", "x".repeat(5_000)),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.stringMatching(/^[A-Za-z0-9._~-]{1,64}$/),
);

/** The routes the API serves, method and path template. */
const ROUTES: readonly (readonly [string, string])[] = [
  ["GET", "/v1/cluster"],
  ["POST", "/v1/commands"],
  ["GET", "/v1/jobs"],
  ["POST", "/v1/jobs"],
  ["GET", "/v1/jobs/:id"],
  ["DELETE", "/v1/jobs/:id"],
  ["GET", "/v1/jobs/:id/events"],
  ["GET", "/v1/jobs/:id/explain"],
  ["GET", "/v1/nodes"],
  ["POST", "/v1/nodes"],
  ["DELETE", "/v1/nodes/:id"],
  ["POST", "/v1/nodes/:id/heartbeat"],
  ["POST", "/v1/nodes/:id/results"],
  ["GET", "/v1/payloads/:id"],
  ["GET", "/v1/openapi.json"],
];
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const query = fc.oneof(
  fc.constant(""),
  fc.constantFrom("?limit=-1", "?limit=1e9", "?limit=abc", "?cursor=%%%", "?status=nope", "?cursor=" + "z".repeat(3_000), "?limit=2&cursor="),
  fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 20 })).map((q) => "?" + new URLSearchParams(q).toString()),
);

/** A route's own method most of the time (so bodies reach the handlers), any method otherwise. */
const target = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...ROUTES), segment, query).map(([[method, t], id, q]) => ({ method, path: t.replace(":id", id) + (method === "GET" ? q : "") })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...METHODS), fc.constantFrom(...ROUTES), segment, query).map(([method, [, t], id, q]) => ({ method, path: t.replace(":id", id) + q })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...METHODS), fc.webPath()).map(([method, path]) => ({ method, path })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...METHODS), fc.array(segment, { maxLength: 6 })).map(([method, parts]) => ({ method, path: "/" + parts.join("/") })) },
);

/** Header values a client can actually send (a Request refuses other bytes). */
const headerValue = fc.oneof(fc.stringMatching(/^[\x20-\x7e]{0,80}$/), fc.constantFrom("", " ", "wait=0", "wait=1", "wait=-5", "wait=99999", "respond-async", "0", "-1"));
const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "text/plain",
  "application/cbor",
  "multipart/form-data; boundary=x",
  "application/x-www-form-urlencoded",
  "",
  "garbage/\u0000",
);

/** Bodies that look almost right: real shapes with fields replaced, dropped or retyped. */
const anyJson = fc.jsonValue({ maxDepth: 4 });
const nearlyValid = fc.oneof(
  fc.record({ job: fc.oneof(fc.constantFrom(...JOB_NAMES), fc.string()), input: anyJson }, { requiredKeys: [] }),
  fc.record({ key: fc.oneof(fc.string(), anyJson), data: anyJson, id: fc.oneof(fc.string(), anyJson) }, { requiredKeys: [] }),
  fc.record(
    {
      id: fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,20}$/), anyJson),
      url: fc.oneof(fc.webUrl(), fc.string(), anyJson),
      caps: fc.oneof(fc.array(fc.constantFrom("cpu", "simd", "gpu", "f16", "nope")), anyJson),
      speed: fc.oneof(fc.record({ cpu: fc.double() }), anyJson),
      slots: fc.oneof(fc.integer(), fc.double(), anyJson),
      latencyMs: fc.oneof(fc.double(), anyJson),
      bandwidthMBps: fc.oneof(fc.double(), anyJson),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    { queue: fc.oneof(fc.integer(), anyJson), inFlight: fc.integer(), bytesIn: fc.double(), bytesOut: fc.integer(), probeMs: fc.double(), recentComputeMs: fc.double() },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      job: fc.oneof(fc.constant(JOB_ID), fc.string()),
      seq: fc.oneof(fc.integer(), anyJson),
      attempt: fc.oneof(fc.integer(), anyJson),
      outcome: fc.oneof(fc.record({ ok: fc.boolean(), value: fc.string() }), fc.record({ ok: fc.constant(false), error: anyJson }), anyJson),
      startedAt: fc.oneof(fc.double(), anyJson),
      finishedAt: fc.oneof(fc.double(), anyJson),
    },
    { requiredKeys: [] },
  ),
);

const body = fc.oneof(
  { weight: 4, arbitrary: nearlyValid.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2_048 }) },
  { weight: 1, arbitrary: fc.constantFrom("", "{", "[]", "null", '{"job":"shapes/chain","input":{"seed":1}}{', "\uFEFF{}", '{"__proto__":{"x":1}}') },
  // Larger than the body limits (1 MiB job input, 64 KiB commands).
  { weight: 1, arbitrary: fc.constantFrom(2 ** 16 + 1, 2 ** 20 + 1, 3 * 2 ** 20).map((n) => JSON.stringify({ job: "word-count", input: { text: "a".repeat(n) } })) },
);

/** Mostly a known token (so requests reach the handlers), else none, another, or a malformed header. */
const authorization = (tokens: readonly FuzzToken[]) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...tokens.map((t) => `Bearer ${t.token}`)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.oneof(headerValue, fc.constantFrom("Bearer", "Bearer ", "Basic dXNlcjpwYXNz", ...tokens.flatMap(({ token }) => [`bearer ${token}`, `Bearer ${token}x`, `Bearer ${token} extra`]))) },
  );

const requestWith = (tokens: readonly FuzzToken[]) => fc.record({
  authorization: authorization(tokens),
  target,
  contentType: fc.option(contentType, { nil: undefined }),
  prefer: fc.option(headerValue, { nil: undefined }),
  idempotencyKey: fc.option(headerValue, { nil: undefined }),
  lastEventId: fc.option(headerValue, { nil: undefined }),
  body,
});

type FuzzRequest = ReturnType<typeof requestWith> extends fc.Arbitrary<infer T> ? T : never;

/** Builds the Request, or null when the runtime itself refuses it (no client could send that). */
function build(base: string, { target: { method, path }, ...r }: FuzzRequest): Request | null {
  const headers = new Headers();
  try {
    if (r.authorization !== undefined) headers.set("authorization", r.authorization);
    if (r.contentType !== undefined) headers.set("content-type", r.contentType);
    if (r.prefer !== undefined) headers.set("prefer", r.prefer);
    if (r.idempotencyKey !== undefined) headers.set("idempotency-key", r.idempotencyKey);
    if (r.lastEventId !== undefined) headers.set("last-event-id", r.lastEventId);
    const hasBody = method !== "GET" && method !== "HEAD";
    return new Request(`${base}${path}`, { method, headers, ...(hasBody ? { body: r.body } : {}) });
  } catch {
    return null;
  }
}

async function answer(fetch: Fetch, req: Request): Promise<{ status: number; contentType: string; text: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    const response = await Promise.race([fetch(req), hang]);
    const contentType = response.headers.get("content-type") ?? "";
    // An event stream stays open by design: its headers are the answer.
    if (contentType.startsWith("text/event-stream")) {
      await response.body?.cancel();
      return { status: response.status, contentType, text: "" };
    }
    return { status: response.status, contentType, text: await Promise.race([response.text(), hang]) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends `runs` random requests to `base` through `fetch` (seeded: the same seed sends the same
 * requests), asserting every answer, then submits a normal job and checks its output against
 * runLocally. Throws (with fast-check's shrunk counterexample) on the first bad answer.
 */
export async function fuzzHttp(
  fetch: Fetch,
  base: string,
  /** The cluster's tokens; the first, an admin's, also submits the final job. */
  tokens: readonly [FuzzToken, ...FuzzToken[]],
  runs: number,
  seed: number,
  /** Signs runner routes as a runner would (test/shared/tokens.ts signedIfRunnerRoute); applied with a valid token, so the other tenth stays unsigned. */
  asRunner: (request: Request) => Promise<Request> = async (r) => r,
): Promise<FuzzReport> {
  const statuses = new Map<number, number>();
  let sent = 0;
  let refusedByRuntime = 0;
  let refusedByRule = 0;
  /** Who the request is, as the API will see it: a runner's signature, a known bearer token (the scheme in any case), else nobody. */
  const callerOf = (req: Request): Caller => {
    if (req.headers.has(RUNNER_HEADERS.signature)) return { kind: "runner", own: true };
    const sent = /^Bearer +(\S+) *$/i.exec(req.headers.get("authorization") ?? "")?.[1];
    const known = tokens.find((t) => t.token === sent);
    return known ? { kind: "token", name: known.name, scopes: known.scopes } : { kind: "nobody" };
  };
  await fc.assert(
    fc.asyncProperty(requestWith(tokens), async (r) => {
      const built = build(base, r);
      const req = built && tokens.some((t) => r.authorization === `Bearer ${t.token}`) ? await asRunner(built) : built;
      if (!req) {
        refusedByRuntime++;
        return;
      }
      sent++;
      const { status, contentType, text } = await answer(fetch, req);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      const what = `${req.method} ${req.url.slice(0, 200)}`;
      expect(status, `${what} → ${status} ${text.slice(0, 300)}`).toBeLessThan(500);
      const rule = ruleFor(app, req);
      if (rule !== null && !expected(rule.access, callerOf(req)).allowed) {
        refusedByRule++;
        expect(status >= 200 && status < 300, `${what} must be refused (${JSON.stringify(rule.access)}) → ${status} ${text.slice(0, 300)}`).toBe(false);
      }
      if (status >= 400 && req.method !== "HEAD") {
        expect(contentType, what).toContain("application/json");
        const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
        expect(typeof parsed.error?.code, text.slice(0, 300)).toBe("string");
        expect(typeof parsed.error?.message, text.slice(0, 300)).toBe("string");
        expect(parsed.error!.message as string).not.toMatch(/\n\s+at /);
      }
    }),
    { numRuns: runs, seed, endOnFailure: true },
  );

  const input = { seed: 5 };
  const response = await fetch(
    new Request(`${base}/v1/jobs`, { method: "POST", headers: { "content-type": "application/json", prefer: "wait=30", authorization: `Bearer ${tokens[0].token}` }, body: JSON.stringify({ job: "shapes/chain", input }) }),
  );
  const job = (await response.json()) as { status: string; output: unknown };
  expect(job.status).toBe("done");
  const local = runLocally(registry, "shapes/chain", input);
  expect(local.status).toBe("done");
  expect(job.output).toEqual((local as { output: unknown }).output);
  return { sent, refusedByRuntime, refusedByRule, statuses: Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])) };
}
