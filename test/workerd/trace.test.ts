/** Every API answer names its trace id (x-paxflow-trace): the caller's when it is sane, a new one otherwise. */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bearer } from "../shared/tokens.ts";

const get = (headers: Record<string, string>) => exports.default.fetch(new Request("http://paxflow.test/v1/nodes", { headers: { ...bearer("reader"), ...headers } }));

describe("trace ids", () => {
  it("echoes a given trace, replaces a bad one, and makes one up otherwise", async () => {
    const given = await get({ "x-paxflow-trace": "client-trace.42" });
    await given.text();
    expect(given.headers.get("x-paxflow-trace")).toBe("client-trace.42");
    const bad = await get({ "x-paxflow-trace": "has spaces and {braces}" });
    await bad.text();
    expect(bad.headers.get("x-paxflow-trace")).toMatch(/^[0-9a-f-]{36}$/);
    const none = await get({});
    await none.text();
    expect(none.headers.get("x-paxflow-trace")).toMatch(/^[0-9a-f-]{36}$/);
    const unauthorized = await exports.default.fetch(new Request("http://paxflow.test/v1/nodes"));
    await unauthorized.text();
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get("x-paxflow-trace")).toBeTruthy();
    // Answers a handler builds itself carry it too: the dashboard's page, a 404 outside the API.
    for (const path of ["/", "/no/such/page"]) {
      const page = await exports.default.fetch(new Request(`http://paxflow.test${path}`, { headers: { "x-paxflow-trace": "page-trace" } }));
      await page.text();
      expect(page.headers.get("x-paxflow-trace"), path).toBe("page-trace");
    }
  });
});
