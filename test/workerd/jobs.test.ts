import { env } from "cloudflare:workers";
import { abortAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type Value, decode, encode } from "../../core/codec.ts";
import { sealable } from "../../core/jobs/advance.ts";
import { DEFAULT_INLINE_PAYLOAD_BYTES, fromBase64, inlinePayload, payloadKey } from "../../core/jobs/payload.ts";
import { r2Blobs } from "../../durable-objects/r2-blobs.ts";
import { Payloads } from "../../runtime/jobs/payload-store.ts";
import { runLocally } from "../../core/sdk/local.ts";
import { registry } from "../../examples/index.ts";
import type { JobView } from "../../runtime/jobs/contract.ts";
import { errorCode } from "../../runtime/errors.ts";

/** Each test gets its own shard number (other workerd suites use 100+, 500+, 900). */
let nextShard = 700;
const commanderOf = (shard: number, index = 0) => env.COMMANDER.get(env.COMMANDER.idFromName(`shard-${shard}/commander-${index}`));

const outputOf = (job: JobView): Value => {
  if (!job.output || !("inline" in job.output)) throw new Error(`job ${job.id} has no inline output: ${JSON.stringify(job)}`);
  return decode(fromBase64(job.output.inline));
};

const expected = (name: string, input: Value) => {
  const local = runLocally(registry, name, input);
  if (local.status !== "done") throw new Error(`runLocally failed: ${JSON.stringify(local)}`);
  return local.output;
};

/** Retries what a leader change or a lease can refuse for a moment. */
async function retrying<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt > 100 || !["not-leader", "commit-timeout", "call-timeout", "commander-closed"].includes(errorCode(error) ?? "")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Inputs sealed the way the API seals them: inline when small, R2 when large. */
const payloads = new Payloads(r2Blobs(env.PAYLOADS), DEFAULT_INLINE_PAYLOAD_BYTES, payloadKey);

async function run(shard: number, id: string, name: string, input: Value): Promise<JobView> {
  const sealed = await payloads.seal(sealable(input));
  const reply = await retrying(() => commanderOf(shard).submitJob({ id, name, input: sealed, waitMs: 20_000 }));
  return reply.job as JobView;
}

describe("jobs through the commander", () => {
  it.each([
    ["word-count", { text: "the quick brown fox jumps over the lazy dog the end", chunkChars: 12 }],
    ["shapes/chain", { seed: 7 }],
    ["shapes/fanout", { seed: 11 }],
    ["shapes/nested", { seed: 3 }],
    ["shapes/recurse", { depth: 3, loop: false }],
    ["shapes/fails", { catchIt: true }],
    ["dag", { tasks: [{ id: "x", op: "const", value: 3, inputs: [] }, { id: "y", op: "neg", inputs: ["x"] }, { id: "z", op: "add", inputs: ["x", "y", "x"] }] }],
  ] as const)("%s gives the same result as runLocally", async (name, input) => {
    const job = await run(nextShard++, `j-${name.replace("/", "-")}`, name, input as Value);
    expect(job.status).toBe("done");
    expect(outputOf(job)).toEqual(expected(name, input as Value));
    for (const call of job.calls) expect(call.outcome).toBeDefined();
  });

  it("logs each call's placement with its alternatives, and runs small stages inline", async () => {
    const job = await run(nextShard++, "j-chain-placement", "shapes/chain", { seed: 1 });
    expect(job.calls).toHaveLength(3);
    for (const call of job.calls) {
      const [attempt] = call.attempts;
      expect(attempt!.node).toBe("inline");
      expect(attempt!.alternatives.map((a) => a.node).sort()).toEqual(["inline", "worker"]);
      expect(attempt!.reason).toMatch(/^inline: run .* beats dispatch to worker/);
      expect(call.node).toBe("inline");
    }
  });

  it("keeps large inputs and results in R2 and only their hashes in the log", async () => {
    const shard = nextShard++;
    const text = Array.from({ length: 6_000 }, (_, i) => `word${i % 2_999}`).join(" ");
    const input = { text, chunkChars: 20_000 };
    const job = await run(shard, "j-large", "word-count", input);
    expect(job.status).toBe("done");
    expect(job.input).toMatchObject({ r2: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(job.output).toMatchObject({ r2: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const output = job.output as { r2: string; bytes: number };
    const object = await env.PAYLOADS.get(payloadKey(output.r2));
    expect(object).not.toBeNull();
    const bytes = new Uint8Array(await object!.arrayBuffer());
    expect(bytes.length).toBe(output.bytes);
    expect(decode(bytes)).toEqual(expected("word-count", input));
    const entries = await commanderOf(shard).read(1, 1_000);
    const logged = JSON.stringify(entries);
    expect(logged).toContain(output.r2);
    expect(logged.length).toBeLessThan(text.length);
  });

  it("sends a long stage to the stage Worker", async () => {
    const input = { iterations: 1_000, salt: 5 };
    const job = await run(nextShard++, "j-spin-worker", "shapes/spin", input);
    expect(job.status).toBe("done");
    expect(outputOf(job)).toBe(expected("shapes/spin", input));
    expect(job.calls[0]!.attempts[0]!.node).toBe("worker");
    expect(job.calls[0]!.node).toBe("worker");
  });

  it("fails a job whose stage throws and which does not catch it, naming the error", async () => {
    const job = await run(nextShard++, "j-fails", "shapes/fails", { catchIt: false });
    expect(job.status).toBe("failed");
    expect(job.error).toMatchObject({ kind: "error", name: "CallError" });
    expect(job.error!.message).toContain("explode: on purpose");
  });

  it("fails a sub-job wait-for cycle with a clear error", async () => {
    const job = await run(nextShard++, "j-cycle", "shapes/recurse", { depth: 2, loop: true });
    expect(job.status).toBe("failed");
    expect(job.error).toMatchObject({ kind: "wait-cycle", name: "WaitCycleError" });
    expect(job.error!.message).toContain("shapes/recurse -> shapes/recurse");
  });

  it("gives the same job for the same id, and refuses the id with another input", async () => {
    const shard = nextShard++;
    const first = await run(shard, "j-idem", "shapes/chain", { seed: 2 });
    const again = await commanderOf(shard).submitJob({ id: "j-idem", name: "shapes/chain", input: inlinePayload(encode({ seed: 2 })) });
    expect(again.created).toBe(false);
    expect(again.job.acceptedAt).toBe(first.acceptedAt);
    const conflict = await commanderOf(shard)
      .submitJob({ id: "j-idem", name: "shapes/chain", input: inlinePayload(encode({ seed: 3 })) })
      .catch((e: unknown) => e);
    expect(errorCode(conflict)).toBe("idempotency-conflict");
  });

  it("re-dispatches when a runner does not take the call, and marks it unresponsive", async () => {
    const shard = nextShard++;
    // A registered runner nobody listens for, much faster than anything else: placement picks it first.
    await retrying(() =>
      commanderOf(shard).registerNode({ id: "ghost", kind: "runner", url: "http://127.0.0.1:9", caps: ["cpu"], speed: { cpu: 100 }, slots: 4, latencyMs: 0.1, bandwidthMBps: 1_000 }),
    );
    const input = { iterations: 10, salt: 1 };
    const job = await run(shard, "j-ghost", "shapes/spin", input);
    expect(job.status).toBe("done");
    expect(outputOf(job)).toBe(expected("shapes/spin", input));
    const attempts = job.calls[0]!.attempts;
    expect(attempts.map((a) => a.node)).toEqual(["ghost", "worker"]);
    expect(attempts[0]!.timedOutAt).toBeDefined();
    expect(attempts[1]!.reason).toContain("re-dispatch after ghost timed out");
    const nodes = await commanderOf(shard).listNodes();
    expect(nodes.find((n) => n.spec.id === "ghost")!.status).toBe("unresponsive");
  });

  it("cancels a running job; its results are then ignored", async () => {
    const shard = nextShard++;
    await retrying(() =>
      commanderOf(shard).registerNode({ id: "ghost", kind: "runner", url: "http://127.0.0.1:9", caps: ["cpu"], speed: { cpu: 100 }, slots: 4, latencyMs: 0.1, bandwidthMBps: 1_000 }),
    );
    const submitted = await retrying(() =>
      commanderOf(shard).submitJob({ id: "j-cancel", name: "shapes/spin", input: inlinePayload(encode({ iterations: 3e8, salt: 2 })), waitMs: 0 }),
    );
    expect(submitted.job.status).toBe("running");
    const cancelled = await commanderOf(shard).cancelJob("j-cancel", "test cancels it");
    expect(cancelled!.status).toBe("cancelled");
    expect(cancelled!.error).toMatchObject({ kind: "cancelled", message: "test cancels it" });
    const later = await commanderOf(shard).getJob("j-cancel", 2_000);
    expect(later!.status).toBe("cancelled");
  });

  it("finishes a job whose commander was aborted mid-job, choosing each result once", async () => {
    const shard = nextShard++;
    const input = { iterations: 5e7, salt: 9 };
    const submitted = await retrying(() => commanderOf(shard).submitJob({ id: "j-abort", name: "shapes/spin", input: inlinePayload(encode(input)), waitMs: 0 }));
    expect(submitted.job.status).toBe("running");
    await abortAllDurableObjects();
    const job = (await retrying(() => commanderOf(shard).getJob("j-abort", 20_000))) as JobView;
    expect(job.error).toBeUndefined();
    expect(job.status).toBe("done");
    expect(outputOf(job)).toBe(expected("shapes/spin", input));
    const call = job.calls[0]!;
    expect(call.attempts.length).toBeGreaterThanOrEqual(1);
    const stats = await commanderOf(shard).jobStats();
    // Every result after the first for the call was dropped, and counted.
    expect(stats.counters.duplicateResults).toBeLessThanOrEqual(call.attempts.length - 1);
  });
});
