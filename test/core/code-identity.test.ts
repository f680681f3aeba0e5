/**
 * Code identity at run time (core/sdk/code-identity.ts): the leader records its registry's digest
 * of a stage in each call.dispatched, the call carries it to the backend, and a backend whose
 * registry has another digest for that name@version refuses it with CodeMismatch naming both.
 */
import { afterEach, describe, expect, it } from "vitest";
import { checkCodeIdentity, checkJobIdentity, createRegistry, isCodeMismatch, defineJob, defineStage, digestOf, withCodeDigests } from "../../core/index.ts";
import { encode } from "../../core/codec.ts";
import { decodeDecision } from "../../core/jobs/decisions.ts";
import { inlinePayload } from "../../core/jobs/payload.ts";
import type { Viewer } from "../../core/jobs/tenancy.ts";
import type { Registry } from "../../core/sdk/registry.ts";
import { type MemoryShard, localRunners, memoryShard, workerBackend } from "../../runtime/jobs/memory-shard.ts";
import { realTimers } from "../../runtime/timers.ts";
import { ResultReport } from "../../workers/schemas.ts";
import { retrying } from "../shared/jobs-conformance.ts";

const OURS = "1111111111111111";
const THEIRS = "2222222222222222";

describe("checkCodeIdentity", () => {
  it("accepts equal digests, and a call or registry without one", () => {
    expect(checkCodeIdentity(OURS, OURS, "s@1")).toEqual({ ok: true });
    expect(checkCodeIdentity(OURS, undefined, "s@1")).toEqual({ ok: true }); // a leader without a lock, or an older log entry
    expect(checkCodeIdentity(undefined, THEIRS, "s@1")).toEqual({ ok: true }); // a backend without a lock
  });

  it("refuses different digests with code_mismatch naming both", () => {
    const r = checkCodeIdentity(OURS, THEIRS, "s@1");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({ name: "CodeMismatch", code: "code_mismatch", kind: "stage", stage: "s@1", registryDigest: OURS, callDigest: THEIRS });
    expect(r.error.message).toContain(OURS);
    expect(r.error.message).toContain(THEIRS);
    expect(isCodeMismatch(r.error)).toBe(true);
  });

  it("checks a job's code by the same rule, naming the job", () => {
    expect(checkJobIdentity(OURS, OURS, "j@1")).toEqual({ ok: true });
    expect(checkJobIdentity(undefined, THEIRS, "j@1")).toEqual({ ok: true });
    expect(checkJobIdentity(OURS, undefined, "j@1")).toEqual({ ok: true });
    const r = checkJobIdentity(OURS, THEIRS, "j@1");
    expect(r).toMatchObject({ ok: false, error: { name: "CodeMismatch", code: "code_mismatch", kind: "job", job: "j@1", registryDigest: OURS, callDigest: THEIRS } });
    expect(!r.ok && r.error.message).toContain(`job j@1 was accepted on code ${THEIRS}, but this commander bundles code ${OURS}`);
  });

  it("a runner's refusal keeps its code and digests through the API's result schema (the plane tells a refusal by them)", () => {
    const refusal = checkCodeIdentity(OURS, THEIRS, "s@1");
    const report = { job: "j-0123456789abcdef01234567", seq: 0, attempt: 1, startedAt: 1, finishedAt: 1 };
    expect(ResultReport.parse({ ...report, outcome: { ok: false, error: !refusal.ok && refusal.error } }).outcome).toEqual({ ok: false, error: !refusal.ok && refusal.error });
    // Any other failure is a name and a message, as before.
    expect(ResultReport.parse({ ...report, outcome: { ok: false, error: { name: "CodeMismatch", message: "m", code: "code_mismatch" } } }).outcome).toEqual({ ok: false, error: { name: "CodeMismatch", message: "m" } });
  });

  it("tells a CodeMismatch by its code and fields, not by its name", () => {
    expect(isCodeMismatch({ name: "CodeMismatch", message: "code_mismatch: thrown by a stage" })).toBe(false);
    expect(isCodeMismatch({ name: "CodeMismatch", code: "code_mismatch", kind: "stage", registryDigest: OURS, callDigest: THEIRS, message: "m" })).toBe(false); // no stage
    expect(isCodeMismatch({ name: "CodeMismatch", code: "code_mismatch", kind: "job", job: "j@1", registryDigest: OURS, callDigest: 7, message: "m" })).toBe(false);
  });
});

// Declared slow: the leader sends it to the stage Worker, never runs it inline.
const slow = defineStage({ name: "ci/slow", version: 1, caps: ["cpu"], timeoutMs: 5_000, cost: { runtimeMs: () => 50, outputBytes: () => 8 }, run: (x: number) => x + 1 });
const once = defineJob({
  name: "ci/once",
  *run(x: number) {
    return yield* slow(x);
  },
});
const bare = createRegistry({ slow, once });
const locked = (digest: string): Registry => withCodeDigests(bare, { stages: { "ci/slow@1": digest, "other@1": "x" }, jobs: {} });

describe("registry digests", () => {
  it("keeps the lock's entries for what it bundles", () => {
    const r = locked(OURS);
    expect(digestOf(r, "stage", "ci/slow@1")).toBe(OURS);
    expect(digestOf(r, "stage", "other@1")).toBeUndefined();
    expect(digestOf(bare, "stage", "ci/slow@1")).toBeUndefined();
  });

  it("a dispatch's digest is an optional string field of a well-formed decision", () => {
    const d = {
      type: "call.dispatched", job: "j", seq: 0, attempt: 1, stage: "ci/slow@1", input: inlinePayload(encode(1)), node: "worker", at: 1,
      predicted: { node: "worker", finishAt: 2, waitMs: 0, transferMs: 0, runMs: 1 }, alternatives: [], reason: "r", by: "c",
    };
    expect(decodeDecision(d)).not.toBeNull();
    expect(decodeDecision({ ...d, digest: OURS })).not.toBeNull();
    expect(decodeDecision({ ...d, digest: 7 })).toBeNull();
  });

  it("a job acceptance's digest is an optional string, and a job error's mismatch a well-formed CodeMismatch", () => {
    const accepted = { type: "job.accepted", job: "j", name: "ci/once", version: 1, input: inlinePayload(encode(1)), at: 1 };
    expect(decodeDecision(accepted)).not.toBeNull(); // logged before job digests, or by a leader without a lock
    expect(decodeDecision({ ...accepted, digest: OURS })).not.toBeNull();
    expect(decodeDecision({ ...accepted, digest: 7 })).toBeNull();
    expect(decodeDecision({ ...accepted, digest: null })).toBeNull();
    const refused = checkJobIdentity(OURS, THEIRS, "ci/once@1");
    if (refused.ok) throw new Error("expected a mismatch");
    const finished = { type: "job.finished", job: "j", at: 2, outcome: { ok: false, error: { kind: "error", name: "CodeMismatch", message: refused.error.message, mismatch: refused.error } } };
    expect(decodeDecision(finished)).not.toBeNull();
    expect(decodeDecision({ ...finished, outcome: { ok: false, error: { ...finished.outcome.error, mismatch: { name: "CodeMismatch" } } } })).toBeNull();
  });
});

describe("a backend with other code for the same name@version", () => {
  let shard: MemoryShard | undefined;
  afterEach(() => shard?.close());
  const ADMIN: Viewer = { kind: "admin", name: "ops" };

  async function run(leader: Registry, backend: Registry) {
    const seen: (string | undefined)[] = [];
    shard = memoryShard({
      registry: leader,
      timers: realTimers,
      verify: { fraction: 0, newNodeCalls: 0 },
      backends: (payloads) => {
        const worker = workerBackend(backend, payloads);
        return {
          worker: (stage, input, digest) => (seen.push(digest), worker(stage, input, digest)),
          sendToRunner: async () => undefined,
          probeRunner: async () => ({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }),
        };
      },
    });
    await retrying(() => shard!.driver().submitJob({ id: "j", name: "ci/once", input: inlinePayload(encode(41)), waitMs: 0, submittedBy: "ops" }));
    const job = (await shard.driver().getJob("j", ADMIN, 60_000))!;
    return { job, seen };
  }

  it("refuses the call: the job fails with CodeMismatch naming both digests, and the stage never ran", async () => {
    const { job, seen } = await run(locked(OURS), locked(THEIRS));
    expect(seen[0]).toBe(OURS); // the leader's digest, from its call.dispatched
    expect(job.status).toBe("failed");
    expect(JSON.stringify(job.error)).toContain("CodeMismatch");
    expect(job.error?.message).toContain(`dispatched for code ${OURS}, but this backend bundles code ${THEIRS}`);
  });

  it("runs it when the digests agree, or when either side has no lock", async () => {
    for (const [leader, backend] of [[locked(OURS), locked(OURS)], [bare, locked(THEIRS)], [locked(OURS), bare]] as const) {
      const { job, seen } = await run(leader, backend);
      expect(job.status, JSON.stringify(job.error)).toBe("done");
      expect(seen[0]).toBe(digestOf(leader, "stage", "ci/slow@1"));
      shard!.close();
      shard = undefined;
    }
  });
});

// A node that refuses a call for its code (another digest under the stage's name@version) ran
// nothing: the call goes to another node with the call's code, and fails with the refusal only
// when none is left (core/jobs/recovery.ts nextAttempt, core/jobs/state.ts).
describe("a call refused for other code goes to another node", () => {
  let shard: MemoryShard | undefined;
  afterEach(() => shard?.close());
  const ADMIN: Viewer = { kind: "admin", name: "ops" };
  const boom = defineStage({ name: "ci/boom", version: 1, caps: ["cpu"], timeoutMs: 5_000, cost: { runtimeMs: () => 50, outputBytes: () => 8 }, run: (x: number): number => {
    const error = new Error(`no ${x}`);
    // Named like a refusal, without its code and digests: the stage's own failure all the same.
    error.name = "CodeMismatch";
    throw error;
  } });
  const boomJob = defineJob({
    name: "ci/boom-job",
    *run(x: number) {
      return yield* boom(x);
    },
  });
  const lockedAll = (digest: string): Registry => withCodeDigests(createRegistry({ slow, once, boom, boomJob }), { stages: { "ci/slow@1": digest, "ci/boom@1": digest }, jobs: {} });
  // Speeds order the placement: "fast" first, then "medium", then the stage Worker (speed 1).
  const runner = (id: string, cpu: number) => ({ id, kind: "runner" as const, url: `http://${id}`, caps: ["cpu" as const], speed: { cpu }, slots: 4, latencyMs: 0.1, bandwidthMBps: 1_000 });

  /** The leader on OURS; each runner, and the stage Worker, on the code given. */
  async function run(job: string, runners: Record<string, { cpu: number; code: string }>, workerCode: string) {
    const leader = lockedAll(OURS);
    shard = memoryShard({
      registry: leader,
      timers: realTimers,
      verify: { fraction: 0, newNodeCalls: 0 },
      backends: (payloads, driver) => {
        const on = Object.fromEntries(Object.entries(runners).map(([id, r]) => [id, localRunners(lockedAll(r.code), payloads, driver)]));
        return {
          worker: workerBackend(lockedAll(workerCode), payloads),
          sendToRunner: (node, call) => on[node.id]!.sendToRunner(node, call),
          probeRunner: async () => ({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }),
        };
      },
    });
    for (const [id, r] of Object.entries(runners)) await retrying(() => shard!.driver().registerNode(runner(id, r.cpu), 1));
    await retrying(() => shard!.driver().submitJob({ id: "j", name: job, input: inlinePayload(encode(41)), waitMs: 0, submittedBy: "ops" }));
    const view = (await shard.driver().getJob("j", ADMIN, 60_000))!;
    const call = view.calls[0]!;
    if (call.kind !== "stage") throw new Error("expected a stage call");
    return { view, call };
  }

  it("ends done with the result of the node with the call's code; the refused attempt is in the call's attempts", async () => {
    const { view, call } = await run("ci/once", { fast: { cpu: 100, code: THEIRS }, medium: { cpu: 10, code: OURS } }, OURS);
    expect(view.status, JSON.stringify(view.error)).toBe("done");
    expect(await shard!.payloads.open(view.output!)).toBe(42);
    expect(call.state).toMatchObject({ is: "done", node: "medium", outcome: { ok: true } });
    expect(call.attempts.map((t) => [t.node, t.digest, t.status.is === "ended" ? t.status.how : t.status.is])).toEqual([
      ["fast", OURS, "code-mismatch"],
      ["medium", OURS, "answered"],
    ]);
    const refused = call.attempts[0]!.status;
    expect(refused.is === "ended" && refused.how === "code-mismatch" && refused.refusal).toMatchObject({ kind: "stage", stage: "ci/slow@1", registryDigest: THEIRS, callDigest: OURS });
    // The node is remembered to bundle other code for the stage until it registers again.
    expect((await shard!.driver().listNodes()).find((n) => n.spec.id === "fast")?.bundles).toEqual({ "ci/slow@1": THEIRS });
    // Nor is the refusal the node's error: the scheduler does not learn it as one (it would judge the node failing).
    expect(shard!.driver().scheduling().stats.find((n) => n.node === "fast")).toMatchObject({ errorRate: 0, inFlight: 0 });
    // So the next call of the stage goes to "medium" at once.
    await retrying(() => shard!.driver().submitJob({ id: "j2", name: "ci/once", input: inlinePayload(encode(1)), waitMs: 0, submittedBy: "ops" }));
    const next = (await shard!.driver().getJob("j2", ADMIN, 60_000))!;
    expect(next.status, JSON.stringify(next.error)).toBe("done");
    expect(next.calls[0]?.kind === "stage" && next.calls[0].attempts.map((t) => t.node)).toEqual(["medium"]);
  });

  it("fails the job with code_mismatch naming both digests once every node that can run it refused", async () => {
    const { view, call } = await run("ci/once", { fast: { cpu: 100, code: THEIRS }, medium: { cpu: 10, code: THEIRS } }, THEIRS);
    expect(view.status).toBe("failed");
    expect(view.error).toMatchObject({ kind: "error", name: "CodeMismatch", mismatch: { code: "code_mismatch", kind: "stage", stage: "ci/slow@1", registryDigest: THEIRS, callDigest: OURS } });
    expect(view.error!.message).toContain(`dispatched for code ${OURS}, but this backend bundles code ${THEIRS}`);
    expect(call.attempts.map((t) => [t.node, t.status.is === "ended" ? t.status.how : t.status.is])).toEqual([
      ["fast", "code-mismatch"],
      ["medium", "code-mismatch"],
      ["worker", "code-mismatch"],
    ]);
  });

  it("does not re-dispatch a stage's own failure, even one named CodeMismatch", async () => {
    const { view, call } = await run("ci/boom-job", { fast: { cpu: 100, code: OURS }, medium: { cpu: 10, code: OURS } }, OURS);
    expect(view.status).toBe("failed");
    expect(view.error?.message).toContain("no 41");
    expect(view.error?.mismatch).toBeUndefined();
    expect(call.attempts.map((t) => t.node)).toEqual(["fast"]);
    expect(call.state).toMatchObject({ is: "done", node: "fast", outcome: { ok: false, error: { name: "CodeMismatch" } } });
  });
});
