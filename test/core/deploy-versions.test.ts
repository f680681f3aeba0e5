/**
 * `paxflow deploy`'s version guard: a registry that drops a job version running jobs (or their
 * running sub-jobs) still use is refused, with the list of jobs, unless --cancel-dropped
 * (docs/versions.md, Versions that never mix). The API is a stub answering the client's calls;
 * test/core/deploy-cli.test.ts runs the command itself.
 */
import { describe, expect, it } from "vitest";
import { PaxflowClient } from "../../client/index.ts";
import { defineJob, defineStage } from "../../core/index.ts";
import { createRegistry, droppedVersions } from "../../core/sdk/registry.ts";
import { guardVersions, runningJobs } from "../../cli/commands/deploy.ts";

const cost = { runtimeMs: () => 1, outputBytes: () => 8 };
const step = defineStage({ name: "dv/step", version: 2, caps: ["cpu"], timeoutMs: 1_000, cost, run: (x: number) => x + 2 });
const inner = defineJob({ name: "dv/inner", version: 2, *run(x: number) { return yield* step(x); } });
const outer = defineJob({ name: "dv/outer", version: 2, *run(x: number) { return yield* inner(x); } });
/** The new code: version 2 of both jobs only. */
const next = createRegistry({ step, inner, outer });

/** A running deployment: j-a runs dv/outer@1 with its sub-job j-a.0 on dv/inner@1; j-b runs dv/outer@2; j-c is done. */
function stubApi() {
  const jobs: Record<string, { name: string; version: number; status: string; calls: unknown[] }> = {
    "j-a": { name: "dv/outer", version: 1, status: "running", calls: [{ seq: 0, kind: "job", target: "dv/inner@1", status: "running", child: "j-a.0" }] },
    "j-a.0": { name: "dv/inner", version: 1, status: "running", calls: [] },
    "j-b": { name: "dv/outer", version: 2, status: "running", calls: [] },
    "j-c": { name: "dv/outer", version: 1, status: "done", calls: [] },
  };
  const cancelled: string[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
    if (url.pathname === "/v1/jobs") {
      // Two pages: the cursor is followed.
      const ids = url.searchParams.get("cursor") === "p2" ? ["j-b"] : ["j-a", "j-c"];
      return json({ jobs: ids.map((id) => ({ id })), ...(url.searchParams.get("cursor") === "p2" ? {} : { next: "p2" }) });
    }
    const id = decodeURIComponent(url.pathname.slice("/v1/jobs/".length));
    if (init?.method === "DELETE") {
      cancelled.push(id);
      return json({ id, ...jobs[id], status: "cancelled" });
    }
    return json({ id, ...jobs[id] });
  }) as typeof globalThis.fetch;
  return { client: new PaxflowClient({ url: "http://plane.test", fetch }), cancelled };
}

describe("paxflow deploy and running job versions", () => {
  it("finds every running job and running sub-job with the ref it runs on, over every page", async () => {
    expect(await runningJobs(stubApi().client)).toEqual([
      { id: "j-a", ref: "dv/outer@1" },
      { id: "j-a.0", ref: "dv/inner@1" },
      { id: "j-b", ref: "dv/outer@2" },
    ]);
  });

  it("names the dropped versions and the jobs that use them", () => {
    const running = [
      { id: "j-a", ref: "dv/outer@1" },
      { id: "j-a.0", ref: "dv/inner@1" },
      { id: "j-b", ref: "dv/outer@2" },
      { id: "j-d", ref: "dv/outer@1" },
    ];
    expect(droppedVersions(next, running)).toEqual([
      { ref: "dv/inner@1", jobs: ["j-a.0"] },
      { ref: "dv/outer@1", jobs: ["j-a", "j-d"] },
    ]);
    expect(droppedVersions(createRegistry({ step, inner, outer, v1: defineJob({ name: "dv/outer", *run(x: number) { return x; } }), i1: defineJob({ name: "dv/inner", *run(x: number) { return x; } }) }), running)).toEqual([]);
  });

  it("refuses a registry that drops them, and cancels their jobs when told to", async () => {
    const refused = stubApi();
    const guarded = await guardVersions(next, refused.client, false);
    expect(guarded.ok).toBe(false);
    expect(guarded.lines.join("\n")).toContain("  dv/outer@1: j-a\n");
    expect(guarded.lines.join("\n")).toContain("  dv/inner@1: j-a.0\n");
    expect(refused.cancelled).toEqual([]);

    const cancelling = stubApi();
    expect((await guardVersions(next, cancelling.client, true)).ok).toBe(true);
    expect(cancelling.cancelled.sort()).toEqual(["j-a", "j-a.0"]);
  });
});
