/**
 * Versions that never mix (docs/versions.md): a job runs to its end on the version it started
 * on, across a redeploy (a commander restarted from the log with another registry); a job
 * submitted by name starts the latest version; a running job whose version the new code dropped
 * fails with VersionGone, not with a nondeterminism error.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Value, encode } from "../../core/codec.ts";
import { all, defineJob, defineStage } from "../../core/index.ts";
import { inlinePayload } from "../../core/jobs/payload.ts";
import type { JobView } from "../../runtime/jobs/contract.ts";
import type { Viewer } from "../../core/jobs/tenancy.ts";
import { DefinitionError } from "../../core/sdk/stage.ts";
import { type Registry, createRegistry, findJob, jobNames, splitRef, versionsOf, withCodeDigests } from "../../core/sdk/registry.ts";
import { runLocally } from "../../core/sdk/local.ts";
import { type MemoryShard, memoryShard, workerBackend } from "../../runtime/jobs/memory-shard.ts";
import { realTimers } from "../../runtime/timers.ts";
import { retrying } from "../shared/jobs-conformance.ts";

/** Declared too slow to run inline: every call goes to the stage Worker, which the test holds. */
const cost = { runtimeMs: () => 50, outputBytes: () => 8 };
const stepV1 = defineStage({ name: "ver-test/step", version: 1, caps: ["cpu"], timeoutMs: 60_000, cost, run: (x: number) => x + 1 });
const stepV2 = defineStage({ name: "ver-test/step", version: 2, caps: ["cpu"], timeoutMs: 60_000, cost, run: (x: number) => x + 2 });

const sumV1 = defineJob({
  name: "ver-test/sum",
  version: 1,
  *run(n: number) {
    const out = yield* all(Array.from({ length: n }, (_, i) => stepV1(i)));
    return out.reduce((a, b) => a + b, 0);
  },
});
const sumV2 = defineJob({
  name: "ver-test/sum",
  version: 2,
  *run(n: number) {
    const out = yield* all(Array.from({ length: n }, (_, i) => stepV2(i)));
    return out.reduce((a, b) => a + b, 0);
  },
});
/** Calls the job object sumV1: its sub-job is that exact version, whatever the latest is. */
const outer = defineJob({
  name: "ver-test/outer",
  *run(n: number) {
    return yield* sumV1(n);
  },
});

const before = createRegistry({ stepV1, sumV1 });
/** The redeploy: version 2 beside version 1, kept while jobs of it may run. */
const both = createRegistry({ stepV1, sumV1, stepV2, sumV2, outer });
/** A redeploy that dropped version 1. */
const dropped = createRegistry({ stepV2, sumV2 });

const N = 4;
const OLD = Array.from({ length: N }, (_, i) => i + 1).reduce((a, b) => a + b, 0); // 10
const NEW = Array.from({ length: N }, (_, i) => i + 2).reduce((a, b) => a + b, 0); // 14

const ADMIN: Viewer = { kind: "admin", name: "ops" };

describe("job versions in the registry", () => {
  it("names a job name@version (default 1) and keeps several versions of one name; a name finds the latest", () => {
    expect([sumV1.ref, sumV2.ref, outer.ref]).toEqual(["ver-test/sum@1", "ver-test/sum@2", "ver-test/outer@1"]);
    expect([...both.jobs.keys()].sort()).toEqual(["ver-test/outer@1", "ver-test/sum@1", "ver-test/sum@2"]);
    expect(findJob(both, "ver-test/sum")).toBe(sumV2);
    expect(findJob(both, "ver-test/sum@1")).toBe(sumV1);
    expect(findJob(both, "ver-test/sum@3")).toBeUndefined();
    expect(versionsOf(both, "ver-test/sum").map((j) => j.version)).toEqual([1, 2]);
    expect(jobNames(both).sort()).toEqual(["ver-test/outer", "ver-test/sum"]);
    expect(splitRef("a/b@12")).toEqual({ name: "a/b", version: 12 });
    expect(splitRef("a/b")).toEqual({ name: "a/b" });
  });

  it("refuses two different definitions of one name@version, and a version that is not a positive integer", () => {
    const again = defineJob({ name: "ver-test/sum", version: 2, *run(n: number) { return n; } });
    expect(() => createRegistry({ sumV2, again })).toThrow(DefinitionError);
    expect(() => defineJob({ name: "ver-test/sum", version: 0, *run(n: number) { return n; } })).toThrow(/version must be an integer >= 1/);
  });

  it("runs locally by name (the latest), by ref, and calls the exact version of the job object a body calls", () => {
    expect(runLocally(both, "ver-test/sum", N)).toMatchObject({ status: "done", output: NEW });
    expect(runLocally(both, "ver-test/sum@1", N)).toMatchObject({ status: "done", output: OLD });
    expect(runLocally(both, "ver-test/outer", N)).toMatchObject({ status: "done", output: OLD });
    expect(runLocally(dropped, "ver-test/sum@1", N)).toMatchObject({ status: "failed", error: { kind: "unknown", name: "VersionGone" } });
  });
});

describe("a redeploy with a job in flight", () => {
  let shard: MemoryShard | undefined;
  afterEach(() => shard?.close());

  /** A shard on `registry` whose stage Worker holds every call until `answer` (what it was sent then dies with its commander). */
  function start(registry: Registry) {
    const worker = { answer: false, sent: 0, registry };
    shard = memoryShard({
      registry,
      timers: realTimers,
      verify: { fraction: 0, newNodeCalls: 0 },
      backends: (payloads) => {
        // Each incarnation's stage Worker runs the code deployed with it.
        const run = workerBackend(worker.registry, payloads);
        return {
          worker: (stage, input, digest) => (worker.sent++, worker.answer ? run(stage, input, digest) : new Promise(() => {})),
          sendToRunner: async () => undefined,
          probeRunner: async () => ({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }),
        };
      },
    });
    /** Restarts the commander from the log with `next`: the redeploy. */
    const redeploy = (next: Registry) => {
      worker.registry = next;
      worker.answer = true;
      shard!.crash(next);
    };
    return { worker, redeploy };
  }

  const submit = (s: MemoryShard, id: string, name: string, input: Value) =>
    retrying(() => s.driver().submitJob({ id, name, input: inlinePayload(encode(input)), waitMs: 0, submittedBy: "ops" }));
  const ended = async (s: MemoryShard, id: string): Promise<JobView & { value?: unknown }> => {
    const job = (await retrying(() => s.driver().getJob(id, ADMIN, 30_000)))!;
    return { ...job, ...(job.output ? { value: await s.payloads.open(job.output) } : {}) };
  };

  it("ends the job in flight with the old code's answer, while new jobs get the new one", async () => {
    const { worker, redeploy } = start(before);
    await submit(shard!, "j-old", "ver-test/sum", N);
    // Every call of the job is out and held: the job is in flight on version 1.
    await vi.waitFor(() => expect(worker.sent).toBe(N), { timeout: 20_000, interval: 10 });
    expect((await shard!.driver().getJob("j-old", ADMIN))?.status).toBe("running");

    redeploy(both);
    const old = await ended(shard!, "j-old");
    expect(old.status, JSON.stringify(old.error)).toBe("done");
    expect(old.value).toBe(OLD);
    expect(old.version).toBe(1);
    expect(old.calls.map((c) => c.target)).toEqual(Array(N).fill("ver-test/step@1"));

    // Submitted by name after the redeploy: the latest version, on the new stage.
    await submit(shard!, "j-new", "ver-test/sum", N);
    const fresh = await ended(shard!, "j-new");
    expect(fresh.status, JSON.stringify(fresh.error)).toBe("done");
    expect(fresh.value).toBe(NEW);
    expect(fresh.version).toBe(2);
    expect(fresh.calls.map((c) => c.target)).toEqual(Array(N).fill("ver-test/step@2"));

    // By ref, the old version still starts; a job body's sub-job is the version it calls.
    await submit(shard!, "j-pinned", "ver-test/sum@1", N);
    expect(await ended(shard!, "j-pinned")).toMatchObject({ status: "done", value: OLD, version: 1 });
    await submit(shard!, "j-outer", "ver-test/outer", N);
    const parent = await ended(shard!, "j-outer");
    expect(parent).toMatchObject({ status: "done", value: OLD });
    expect(parent.calls.map((c) => c.target)).toEqual(["ver-test/sum@1"]);
  });

  it("fails a job in flight whose version the redeploy dropped with VersionGone, naming its ref and the deployed versions", async () => {
    const { worker, redeploy } = start(before);
    await submit(shard!, "j-gone", "ver-test/sum", N);
    await vi.waitFor(() => expect(worker.sent).toBe(N), { timeout: 20_000, interval: 10 });

    redeploy(dropped);
    const gone = await ended(shard!, "j-gone");
    expect(gone.status).toBe("failed");
    expect(gone.error).toMatchObject({ kind: "unknown", name: "VersionGone" });
    expect(gone.error!.message).toContain("job ver-test/sum@1 is no longer deployed (deployed: ver-test/sum@2)");
    expect(gone.error!.name).not.toBe("NondeterministicJobError");
  });

  // Code identity of jobs (docs/versions.md): sum@1's body changed under the same version (it now
  // calls step@2) and the lock says so; a commander on that code must not replay the job on it.
  const X = "aaaaaaaaaaaaaaaa";
  const Y = "bbbbbbbbbbbbbbbb";
  const sumV1Changed = defineJob({
    name: "ver-test/sum",
    version: 1,
    *run(n: number) {
      const out = yield* all(Array.from({ length: n }, (_, i) => stepV2(i)));
      return out.reduce((a, b) => a + b, 0);
    },
  });
  const lockedAs = (registry: Registry, digest: string) => withCodeDigests(registry, { stages: {}, jobs: { "ver-test/sum@1": digest, "ver-test/outer@1": "cccccccccccccccc" } });

  it("fails a job in flight with code_mismatch, naming its ref and both digests, when the commander's code for its ref has another digest; no call of the new code goes out", async () => {
    const { worker, redeploy } = start(lockedAs(before, X));
    await submit(shard!, "j-other-code", "ver-test/sum", N);
    await vi.waitFor(() => expect(worker.sent).toBe(N), { timeout: 20_000, interval: 10 });
    expect((await shard!.driver().getJob("j-other-code", ADMIN))?.digest).toBe(X);

    redeploy(lockedAs(createRegistry({ stepV1, stepV2, sumV1Changed }), Y));
    const failed = await ended(shard!, "j-other-code");
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatchObject({
      kind: "error",
      name: "CodeMismatch",
      mismatch: { name: "CodeMismatch", code: "code_mismatch", kind: "job", job: "ver-test/sum@1", registryDigest: Y, callDigest: X },
    });
    expect(failed.error!.message).toContain(`job ver-test/sum@1 was accepted on code ${X}, but this commander bundles code ${Y}`);
    // Neither replayed on the new body (step@2) nor were its old calls sent out again on the new commander.
    expect(failed.calls.map((c) => c.target)).toEqual(Array(N).fill("ver-test/step@1"));
    expect(failed.calls.map((c) => (c.kind === "stage" ? c.attempts.length : 0))).toEqual(Array(N).fill(1));
    expect(worker.sent).toBe(N);
  });

  it("ends the job done when the digests agree, or when either side has no lock entry", async () => {
    for (const [first, next] of [[lockedAs(before, X), lockedAs(both, X)], [before, lockedAs(both, Y)], [lockedAs(before, X), both]] as const) {
      const { worker, redeploy } = start(first);
      await submit(shard!, "j-same", "ver-test/sum", N);
      await vi.waitFor(() => expect(worker.sent).toBe(N), { timeout: 20_000, interval: 10 });
      redeploy(next);
      const job = await ended(shard!, "j-same");
      expect(job.status, JSON.stringify(job.error)).toBe("done");
      expect(job.value).toBe(OLD);
      shard!.close();
      shard = undefined;
    }
  });

  it("records the accepting leader's digest on a sub-job too", async () => {
    start(lockedAs(both, X)).worker.answer = true;
    await submit(shard!, "j-outer", "ver-test/outer", N);
    expect(await ended(shard!, "j-outer")).toMatchObject({ status: "done", value: OLD, digest: "cccccccccccccccc" });
    expect((await shard!.driver().getJob("j-outer.0", ADMIN))?.digest).toBe(X);
  });
});
