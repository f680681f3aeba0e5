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
import { type MemoryShard, memoryShard, workerBackend } from "../../runtime/jobs/memory-shard.ts";
import { realTimers } from "../../runtime/timers.ts";
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
