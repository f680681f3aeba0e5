/**
 * Every answer carries the security headers (workers/security-headers.ts): the dashboard's pages
 * and their scripts, styles and library (served from ASSETS), and the API's JSON, errors included.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SECURITY_HEADERS } from "../../workers/security-headers.ts";
import { bearer } from "../shared/tokens.ts";

const answer = async (path: string, init?: RequestInit) => {
  const response = await exports.default.fetch(new Request(`http://paxflow.test${path}`, init));
  await response.arrayBuffer();
  return response;
};

function expectSecurityHeaders(response: Response, what: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers.get(name), `${what}: ${name}`).toBe(value);
}

describe("security headers", () => {
  it("are on every page answer: HTML, scripts, styles, the vendored library, HEAD and a revalidation", async () => {
    for (const path of ["/", "/index.html", "/app.js", "/style.css", "/vendor/uPlot.esm.js", "/vendor/uPlot.min.css"]) {
      const page = await answer(path);
      expect(page.status, path).toBe(200);
      expectSecurityHeaders(page, `GET ${path}`);
    }
    expectSecurityHeaders(await answer("/", { method: "HEAD" }), "HEAD /");
    const etag = (await answer("/app.js")).headers.get("etag");
    expect(etag).toBeTruthy();
    const unchanged = await answer("/app.js", { headers: { "if-none-match": etag! } });
    expect(unchanged.status).toBe(304);
    expectSecurityHeaders(unchanged, "304 /app.js");
  });

  it("hold a policy that keeps the pages to their own files and out of every frame", () => {
    const policy = SECURITY_HEADERS["Content-Security-Policy"]!.split(/;\s*/);
    expect(policy).toEqual(expect.arrayContaining(["default-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"]));
    expect(policy.join(";")).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it("are on the API's answers: JSON, errors, the OpenAPI document, metrics, a JSON 404 outside the API", async () => {
    const answers: [string, Response][] = [
      ["GET /v1/nodes", await answer("/v1/nodes", { headers: bearer("reader") })],
      ["GET /v1/nodes without a token (401)", await answer("/v1/nodes")],
      ["POST /v1/jobs by a reader (403)", await answer("/v1/jobs", { method: "POST", headers: { ...bearer("reader"), "content-type": "application/json" }, body: "{}" })],
      ["GET /v1/openapi.json", await answer("/v1/openapi.json")],
      ["GET /metrics", await answer("/metrics", { headers: bearer("reader") })],
      ["GET /v1/no-such-route (404)", await answer("/v1/no-such-route", { headers: bearer("reader") })],
      ["GET /no/such/page (404)", await answer("/no/such/page")],
    ];
    expect(answers.map(([what, r]) => `${what}: ${r.status}`)).toEqual([
      "GET /v1/nodes: 200",
      "GET /v1/nodes without a token (401): 401",
      "POST /v1/jobs by a reader (403): 403",
      "GET /v1/openapi.json: 200",
      "GET /metrics: 200",
      "GET /v1/no-such-route (404): 404",
      "GET /no/such/page (404): 404",
    ]);
    for (const [what, response] of answers) expectSecurityHeaders(response, what);
  });
});
