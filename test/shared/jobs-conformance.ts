/**
 * One job suite, several implementations (like consensus-conformance.ts): the JobDriver over
 * in-memory acceptors in Node, and the Commander Durable Object in workerd, must give the same
 * answers to the same jobs, including under crashes and unresponsive runners.
 */
import { stage, taken } from "./calls.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Value, decode, encode } from "../../core/codec.ts";
import { sealable } from "../../core/jobs/advance.ts";
import { fromBase64, inlinePayload } from "../../core/jobs/payload.ts";
import { runLocally } from "../../core/sdk/local.ts";
import type { Committed } from "../../core/paxos/index.ts";
import { registry } from "./registry.ts";
import type { Viewer } from "../../core/jobs/tenancy.ts";
import type { JobPlane, JobView } from "../../runtime/jobs/contract.ts";
import type { Payloads } from "../../runtime/jobs/payload-store.ts";
import { type ErrorCode, errorCode, retryTransient } from "../../runtime/errors.ts";

export type HarnessPlane = Pick<JobPlane, "submitJob" | "getJob" | "jobEvents" | "cancelJob" | "listJobs" | "registerNode" | "listNodes" | "jobStats"> & {
  read(fromSlot: number, limit: number): Promise<Committed[]>;
};

/** The commander of one fresh shard, as the API sees it, plus what the tests need around it. */
export interface JobsHarness {
  /** The current incarnation of the shard's first commander. */
  plane(): HarnessPlane;
  /** Seals values the way the API does (inline when small, the payload store when large). */
  readonly payloads: Payloads;
  /** Kills the commander with everything in its memory (work it sent included). */
  crashCommander(): Promise<void>;
  dispose(): Promise<void>;
}

const outputOf = (job: JobView): Value => {
  if (!job.output || !("inline" in job.output)) throw new Error(`job ${job.id} has no inline output: ${JSON.stringify(job)}`);
  return decode(fromBase64(job.output.inline));
};

const expected = (name: string, input: Value) => {
  const local = runLocally(registry, name, input);
  if (local.status !== "done") throw new Error(`runLocally failed: ${JSON.stringify(local)}`);
  return local.output;
};


/** Retries what a leader change or a lease can refuse for a moment, and the codes in `also`. */
export const retrying = <T>(work: () => Promise<T>, also: readonly ErrorCode[] = []): Promise<T> => retryTransient(work, { attempts: 200, pauseMs: 25, also });

/** The client token name the suite submits as, and how it (its tenant), another tenant and an admin ask. */
const TENANT = "conformance";
const OWNER: Viewer = { kind: "tenant", name: TENANT };
const STRANGER: Viewer = { kind: "tenant", name: "stranger" };
const ADMIN: Viewer = { kind: "admin", name: "ops" };

/** A registered runner nobody listens for, much faster than anything else: placement picks it first. */
const GHOST = { id: "ghost", kind: "runner", url: "http://127.0.0.1:9", caps: ["cpu"], speed: { cpu: 100 }, slots: 4, latencyMs: 0.1, bandwidthMBps: 1_000 } as const;

export function jobsConformance(name: string, harness: () => Promise<JobsHarness>): void {
  describe(`jobs conformance: ${name}`, () => {
    let h: JobsHarness;
    beforeEach(async () => {
      h = await harness();
    });
    afterEach(async () => {
      await h.dispose();
    });

    async function run(id: string, job: string, input: Value): Promise<JobView> {
      const sealed = await h.payloads.seal(sealable(input));
      const reply = await retrying(() => h.plane().submitJob({ id, name: job, input: sealed, waitMs: 20_000, submittedBy: TENANT }));
      return reply.job as JobView;
    }

    it.each([
      ["word-count", { text: "the quick brown fox jumps over the lazy dog the end", chunkChars: 12 }],
      ["shapes/chain", { seed: 7 }],
      ["shapes/fanout", { seed: 11 }],
      ["shapes/nested", { seed: 3 }],
      ["shapes/recurse", { depth: 3, loop: false }],
      ["shapes/fails", { catchIt: true }],
      ["dag", { tasks: [{ id: "x", op: "const", value: 3, inputs: [] }, { id: "y", op: "neg", inputs: ["x"] }, { id: "z", op: "add", inputs: ["x", "y", "x"] }] }],
    ] as const)("%s gives the same result as runLocally", async (name, input) => {
      const job = await run(`j-${name.replace("/", "-")}`, name, input as Value);
      expect(job.status).toBe("done");
      expect(outputOf(job)).toEqual(expected(name, input as Value));
      for (const call of job.calls) expect(call.state.is).toBe("done");
    });

    it("logs each call's placement with its alternatives, and runs small stages inline", async () => {
      const job = await run("j-chain-placement", "shapes/chain", { seed: 1 });
      expect(job.calls).toHaveLength(3);
      for (const call of job.calls) {
        const [attempt] = stage(call).attempts;
        expect(attempt!.node).toBe("inline");
        expect(attempt!.alternatives.map((a) => a.node).sort()).toEqual(["inline", "worker"]);
        expect(attempt!.reason).toMatch(/^inline: run .* beats dispatch to worker/);
        expect(taken(call).node).toBe("inline");
      }
    });

    it("keeps large inputs and results in R2 and only their hashes in the log", async () => {
          const text = Array.from({ length: 6_000 }, (_, i) => `word${i % 2_999}`).join(" ");
      const input = { text, chunkChars: 20_000 };
      const job = await run("j-large", "word-count", input);
      expect(job.status).toBe("done");
      expect(job.input).toMatchObject({ r2: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(job.output).toMatchObject({ r2: expect.stringMatching(/^[0-9a-f]{64}$/) });
      const output = job.output as { r2: string; bytes: number };
      const bytes = await h.payloads.bytes(output);
      expect(bytes.length).toBe(output.bytes);
      expect(decode(bytes)).toEqual(expected("word-count", input));
      const entries = await h.plane().read(1, 1_000);
      const logged = JSON.stringify(entries);
      expect(logged).toContain(output.r2);
      expect(logged.length).toBeLessThan(text.length);
    });

    it("sends a long stage to the stage Worker", async () => {
      const input = { iterations: 1_000, salt: 5 };
      const job = await run("j-spin-worker", "shapes/spin", input);
      expect(job.status).toBe("done");
      expect(outputOf(job)).toBe(expected("shapes/spin", input));
      expect(stage(job.calls[0]).attempts[0]!.node).toBe("worker");
      expect(taken(job.calls[0]).node).toBe("worker");
    });

    it("fails a job whose stage throws and which does not catch it, naming the error", async () => {
      const job = await run("j-fails", "shapes/fails", { catchIt: false });
      expect(job.status).toBe("failed");
      expect(job.error).toMatchObject({ kind: "error", name: "CallError" });
      expect(job.error!.message).toContain("explode: on purpose");
    });

    it("fails a sub-job wait-for cycle with a clear error", async () => {
      const job = await run("j-cycle", "shapes/recurse", { depth: 2, loop: true });
      expect(job.status).toBe("failed");
      expect(job.error).toMatchObject({ kind: "wait-cycle", name: "WaitCycleError" });
      expect(job.error!.message).toContain("shapes/recurse@1 -> shapes/recurse@1");
    });

    it("fails a tree deeper than MAX_JOB_DEPTH as a whole, and whoever waits for its root hears of it", async () => {
      // A wait longer than the test's own timeout: only the root's end, heard, answers it in time.
      const input = await h.payloads.seal(sealable({ depth: 65, loop: false }));
      const { job } = await retrying(() => h.plane().submitJob({ id: "j-deep", name: "shapes/recurse", input, waitMs: 60_000, submittedBy: TENANT }));
      expect(job.status).toBe("failed");
      expect(job.error).toMatchObject({ kind: "too-deep", name: "JobTooDeep" });
      expect(job.error!.message).toMatch(/^sub-job depth 65 exceeds MAX_JOB_DEPTH 64: shapes\/recurse@1 -> .* -> shapes\/recurse@1$/);
    });

    it("gives the same job for the same id, and refuses the id with another input", async () => {
          const first = await run("j-idem", "shapes/chain", { seed: 2 });
      const again = await h.plane().submitJob({ id: "j-idem", name: "shapes/chain", input: inlinePayload(encode({ seed: 2 })), submittedBy: TENANT });
      expect(again.created).toBe(false);
      expect(again.job.acceptedAt).toBe(first.acceptedAt);
      const conflict = await h.plane()
        .submitJob({ id: "j-idem", name: "shapes/chain", input: inlinePayload(encode({ seed: 3 })), submittedBy: TENANT })
        .catch((e: unknown) => e);
      expect(errorCode(conflict)).toBe("idempotency-conflict");
    });

    it("shows a job and its sub-jobs only to their tenant and admins: to others they do not exist", async () => {
      const job = await run("j-tenant", "shapes/nested", { seed: 4 });
      expect(job.submittedBy).toBe(TENANT);
      const call = job.calls[0]!;
      const child = call.kind === "job" ? call.child : "";
      for (const id of [job.id, child]) {
        expect((await h.plane().getJob(id, OWNER))?.submittedBy).toBe(TENANT);
        expect((await h.plane().getJob(id, ADMIN))?.id).toBe(id);
        expect(await h.plane().getJob(id, STRANGER)).toBeNull();
        expect(await h.plane().jobEvents(id, STRANGER, 0, 0)).toBeNull();
        // Visibility is checked before anything else: the cancel finds no job and changes nothing.
        expect(await h.plane().cancelJob(id, STRANGER, "not mine")).toBeNull();
        expect((await h.plane().getJob(id, OWNER))?.cancelledBy).toBeUndefined();
        expect((await h.plane().jobEvents(id, OWNER, 0, 0))?.events.length).toBeGreaterThan(0);
      }
      // The same answer as for an id nobody submitted.
      expect(await h.plane().getJob("j-never", STRANGER)).toBeNull();
      const listed = async (viewer: Viewer) => (await h.plane().listJobs({ viewer, limit: 100 })).jobs.map((j) => j.id);
      expect(await listed(OWNER)).toContain(job.id);
      expect(await listed(ADMIN)).toContain(job.id);
      expect(await listed(STRANGER)).toEqual([]);
    });

    it("a new runner that does not take a call: marked unresponsive, and the verifying stage Worker's answer is taken", async () => {
      // A new node's first calls are verified by default (VERIFY_NEW_NODE_CALLS): the ghost's
      // attempt goes out with a second one on the stage Worker. Once the ghost has failed, no
      // runner's answer is left to check, so the Worker's answer settles the call, and the job
      // does not wait for a third node the shard does not have.
      await retrying(() => h.plane().registerNode(GHOST, Date.now()));
      const input = { iterations: 10, salt: 1 };
      const job = await run("j-ghost", "shapes/spin", input);
      expect(job.status).toBe("done");
      expect(outputOf(job)).toBe(expected("shapes/spin", input));
      const call = stage(job.calls[0]);
      expect(call.attempts.map((a) => a.node)).toEqual(["ghost", "worker"]);
      expect(call.attempts[0]!.status.is).toBe("ended");
      expect(call.attempts[1]!.reason).toMatch(/^verifies attempt 1 on ghost \(new node: ghost's call 1 of the first 10\)/);
      expect(call.state).toMatchObject({ node: "worker", verified: { settled: "unchecked", reason: expect.stringMatching(/^new node/) } });
      const nodes = await h.plane().listNodes();
      expect(nodes.find((n) => n.spec.id === "ghost")!.status).toBe("unresponsive");
    });

    it("cancels a running job; its results are then ignored", async () => {
      await retrying(() => h.plane().registerNode(GHOST, Date.now()));
      const submitted = await retrying(() =>
        h.plane().submitJob({ id: "j-cancel", name: "shapes/spin", input: inlinePayload(encode({ iterations: 3e8, salt: 2 })), waitMs: 0, submittedBy: TENANT }),
      );
      expect(submitted.job.status).toBe("running");
      const cancelled = await h.plane().cancelJob("j-cancel", OWNER, "test cancels it");
      expect(cancelled!.status).toBe("cancelled");
      expect(cancelled!.error).toMatchObject({ kind: "cancelled", message: "test cancels it" });
      expect(cancelled!.cancelledBy).toEqual({ kind: "client", token: TENANT });
      const later = await h.plane().getJob("j-cancel", OWNER, 2_000);
      expect(later!.status).toBe("cancelled");
    });

    it("finishes a job whose commander was aborted mid-job, choosing each result once", async () => {
      const input = { iterations: 5e7, salt: 9 };
      const submitted = await retrying(() => h.plane().submitJob({ id: "j-abort", name: "shapes/spin", input: inlinePayload(encode(input)), waitMs: 0, submittedBy: TENANT }));
      expect(submitted.job.status).toBe("running");
      await h.crashCommander();
      const job = (await retrying(() => h.plane().getJob("j-abort", OWNER, 20_000))) as JobView;
      expect(job.error).toBeUndefined();
      expect(job.status).toBe("done");
      expect(outputOf(job)).toBe(expected("shapes/spin", input));
      const call = stage(job.calls[0]);
      expect(call.attempts.length).toBeGreaterThanOrEqual(1);
      const stats = await h.plane().jobStats();
      // Every result after the first for the call was dropped, and counted.
      expect(stats.counters.duplicateResults).toBeLessThanOrEqual(call.attempts.length - 1);
    });
  });
}
