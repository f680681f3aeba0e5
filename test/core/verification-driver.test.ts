/**
 * Result verification through the commander (JobDriver over in-memory acceptors): runners in
 * this process, one of which answers wrongly, refuses, or is slow to be caught.
 */
import { agreedBy, stage, taken, verifiedOf } from "../shared/calls.ts";
import { afterEach, describe, expect, it } from "vitest";
import { type Value, decode } from "../../core/codec.ts";
import { sealable } from "../../core/jobs/advance.ts";
import type { NodeSpec } from "../../core/jobs/decisions.ts";
import { fromBase64 } from "../../core/jobs/payload.ts";
import type { Viewer } from "../../core/jobs/tenancy.ts";
import type { VerifyPolicy } from "../../core/jobs/verification.ts";
import { runLocally } from "../../core/sdk/local.ts";
import { registry } from "../shared/registry.ts";
import type { JobView } from "../../runtime/jobs/contract.ts";
import { lie } from "../../runners/misbehaviour.ts";
import { retrying } from "../shared/jobs-conformance.ts";
import { type MemoryShard, memoryShard, workerBackend } from "./support/memory-driver.ts";

type Behaviour = "honest" | "liar" | "refuses";

const runner = (id: string, cpu: number): NodeSpec => ({ id, kind: "runner", url: `http://${id}.test`, caps: ["cpu"], speed: { cpu }, slots: 8, latencyMs: 0.1, bandwidthMBps: 1_000 });

let shard: MemoryShard | undefined;
let closed = false;
afterEach(() => {
  closed = true;
  shard?.close();
});

/** A shard whose runners live in this process and behave as told. */
async function cluster(behaviours: Record<string, Behaviour>, verify: VerifyPolicy): Promise<MemoryShard> {
  closed = false;
  shard = memoryShard({
    verify,
    backends: (payloads, driver) => ({
      worker: workerBackend(payloads),
      async sendToRunner({ id }, call) {
        if (behaviours[id] === "refuses") throw new Error(`${id} is full`);
        setTimeout(async () => {
          const startedAt = Date.now();
          const output = registry.stages.get(call.stage)!.run(await payloads.open(call.input));
          const value = await payloads.seal(sealable(behaviours[id] === "liar" ? (lie(output) as Value) : output));
          const report = { node: id, job: call.job, seq: call.seq, attempt: call.attempt, outcome: { ok: true as const, value }, startedAt, finishedAt: Date.now() };
          // Like a real runner, it retries while the shard changes leader (and gives up when the test is over).
          while (!closed) {
            try {
              return void (await driver().offerResult(report));
            } catch {
              await new Promise((resolve) => setTimeout(resolve, 25));
            }
          }
        }, 2);
      },
      async probeRunner() {
        return { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 };
      },
    }),
  });
  // Fast runners, so placement prefers them to the built-in backends.
  let speed = 1_000;
  for (const id of Object.keys(behaviours)) await shard.driver().registerNode(runner(id, (speed -= 100)), Date.now());
  return shard;
}

async function run(s: MemoryShard, id: string, name: string, input: Value): Promise<JobView> {
  const reply = await s.driver().submitJob({ id, name, input: await s.payloads.seal(sealable(input)), waitMs: 20_000, submittedBy: TENANT.name });
  return reply.job;
}

const expected = (name: string, input: Value): Value => {
  const local = runLocally(registry, name, input);
  if (local.status !== "done") throw new Error(JSON.stringify(local));
  return local.output;
};

const output = (job: JobView): Value => {
  if (!job.output || !("inline" in job.output)) throw new Error(`no inline output: ${JSON.stringify(job.error ?? job.status)}`);
  return decode(fromBase64(job.output.inline));
};

const PI = { seed0: 3, runs: 4, samplesPerRun: 20_000 };

/** Who submits and reads the jobs here. */
const TENANT: Viewer = { kind: "tenant", name: "verification-test" };

describe("result verification in the commander", () => {
  it("catches a runner that answers wrongly: the job gets the majority's result, the liar is quarantined", async () => {
    const s = await cluster({ liar: "liar", honest: "honest" }, { fraction: 1, newNodeCalls: 0 });
    const job = await run(s, "j-lie", "monte-carlo/pi", PI);
    expect(job.status).toBe("done");
    expect(output(job)).toEqual(expected("monte-carlo/pi", PI));
    const samples = job.calls.filter((c) => c.target.startsWith("monte-carlo/sample"));
    expect(samples.length).toBe(PI.runs);
    for (const call of samples) {
      expect(verifiedOf(call)?.reason).toMatch(/sampled/);
      expect(agreedBy(call)).toHaveLength(2);
      expect(agreedBy(call)).not.toContain("liar");
    }
    expect(samples.some((c) => verifiedOf(c)?.settled === "agreed" && (verifiedOf(c) as { dissenters: readonly string[] }).dissenters.includes("liar"))).toBe(true);
    const nodes = await s.driver().listNodes();
    const liar = nodes.find((n) => n.spec.id === "liar")!;
    expect(liar.status).toBe("quarantined");
    expect(liar.quarantine!.reason).toMatch(/differs from/);
    expect(nodes.find((n) => n.spec.id === "honest")!.status).toBe("up");
    const stats = await s.driver().jobStats();
    expect(stats.counters.quarantines).toBe(1);
    expect(stats.counters.disputes).toBeGreaterThanOrEqual(1);
    expect(stats.counters.verifiedCalls).toBe(PI.runs);

    // The log holds all of it: the verified dispatches, every answer, and no wrong value chosen.
    const entries = (await s.driver().commander.read(0, 10_000)).flatMap((slot) => slot.entry.commands.flatMap((c) => (c.kind === "app" ? [c.data as { type?: string; node?: string; verify?: string }] : [])));
    expect(entries.filter((e) => e.type === "call.dispatched" && e.verify).length).toBe(PI.runs);
    expect(entries.some((e) => e.type === "call.result" && e.node === "liar")).toBe(true);

    // Afterwards the liar gets no work; its results are refused.
    const next = await run(s, "j-after", "monte-carlo/pi", { ...PI, seed0: 9 });
    expect(output(next)).toEqual(expected("monte-carlo/pi", { ...PI, seed0: 9 }));
    expect(next.calls.flatMap((c) => stage(c).attempts.map((a) => a.node))).not.toContain("liar");
    const refused = await s.driver().offerResult({ node: "liar", job: "j-lie", seq: 0, attempt: 1, outcome: { ok: false, error: { name: "E", message: "x" } }, startedAt: 0, finishedAt: 1 });
    expect(refused.accepted).toBe(false);
  });

  it("verifies every call of a new node's first N, then only the sample", async () => {
    const s = await cluster({ fresh: "honest", other: "honest" }, { fraction: 0, newNodeCalls: 2 });
    const job = await run(s, "j-new", "monte-carlo/pi", { ...PI, runs: 6 });
    expect(output(job)).toEqual(expected("monte-carlo/pi", { ...PI, runs: 6 }));
    const verified = job.calls.filter((c) => verifiedOf(c) !== undefined);
    expect(verified.length).toBeGreaterThan(0);
    for (const call of verified) expect(verifiedOf(call)!.reason).toMatch(/new node: (fresh|other)'s call [12] of the first 2/);
    const nodes = await s.driver().listNodes();
    expect(nodes.find((n) => n.spec.id === "fresh")!.dispatched).toBeGreaterThanOrEqual(2);
    const later = await run(s, "j-later", "monte-carlo/pi", { ...PI, seed0: 11 });
    expect(later.calls.every((c) => verifiedOf(c) === undefined)).toBe(true);
  });

  it("replaces a verifying attempt that a runner refuses, on a node that has not answered", async () => {
    const s = await cluster({ a: "honest", full: "refuses", b: "honest" }, { fraction: 1, newNodeCalls: 0 });
    const job = await run(s, "j-refused", "shapes/spin", { iterations: 1_000, salt: 4 });
    expect(output(job)).toEqual(expected("shapes/spin", { iterations: 1_000, salt: 4 }));
    const call = stage(job.calls[0]);
    expect(agreedBy(call)).toHaveLength(2);
    expect(agreedBy(call)).not.toContain("full");
    expect(call.attempts.find((a) => a.node === "full")?.status.is).toBe("ended");
  });

  it("with verification off, re-dispatches a call a runner refuses to the next best node", async () => {
    const s = await cluster({ full: "refuses" }, { fraction: 0, newNodeCalls: 0 });
    const job = await run(s, "j-off", "shapes/spin", { iterations: 1_000, salt: 6 });
    expect(output(job)).toEqual(expected("shapes/spin", { iterations: 1_000, salt: 6 }));
    const call = stage(job.calls[0]);
    expect(call.attempts.map((a) => a.node)).toEqual(["full", "worker"]);
    expect(call.attempts[1]!.reason).toContain("re-dispatch after full failed it");
    expect(verifiedOf(call)).toBeUndefined();
  });

  it("answers a result report sent twice from the log, without a second entry", async () => {
    const s = await cluster({ r: "honest" }, { fraction: 0, newNodeCalls: 0 });
    const job = await run(s, "j-twice", "shapes/spin", { iterations: 10, salt: 2 });
    const call = taken(job.calls[0]);
    expect(call.node).toBe("r");
    const entries = async () => (await s.driver().commander.read(0, 10_000)).length;
    const before = await entries();
    const report = { node: "r", job: job.id, seq: 0, attempt: 1, outcome: { ok: true as const, value: job.output! }, startedAt: call.startedAt, finishedAt: call.finishedAt };
    expect(await s.driver().offerResult(report)).toEqual({ accepted: true, reason: "this result is already recorded" });
    expect(await entries()).toBe(before);
    expect((await s.driver().jobStats()).counters.duplicateResults).toBe(0);
  });

  it("answers a verified call's second agreeing node sending its report again from the log too", async () => {
    const s = await cluster({ a: "honest", b: "honest" }, { fraction: 1, newNodeCalls: 0 });
    const job = await run(s, "j-twice-verified", "shapes/spin", { iterations: 10, salt: 3 });
    const call = stage(job.calls[0]);
    expect(agreedBy(call)).toHaveLength(2);
    const other = agreedBy(call)!.find((n) => n !== taken(call).node)!;
    const attempt = call.attempts.find((a) => a.node === other)!.attempt;
    const before = (await s.driver().commander.read(0, 10_000)).length;
    const report = { node: other, job: job.id, seq: 0, attempt, outcome: { ok: true as const, value: job.output! }, startedAt: 1, finishedAt: 2 };
    expect(await s.driver().offerResult(report)).toEqual({ accepted: true, reason: "this result is already recorded" });
    expect((await s.driver().commander.read(0, 10_000)).length).toBe(before);
  });

  it("a commander that takes over mid-verification finishes it from the log", async () => {
    const s = await cluster({ liar: "liar", honest: "honest" }, { fraction: 1, newNodeCalls: 0 });
    const submitted = await s.driver().submitJob({ id: "j-crash", name: "monte-carlo/pi", input: await s.payloads.seal(sealable(PI)), waitMs: 0, submittedBy: TENANT.name });
    expect(submitted.created).toBe(true);
    s.crash();
    const job = (await retrying(() => s.driver().getJob("j-crash", TENANT, 20_000)))!;
    expect(job.status).toBe("done");
    expect(output(job)).toEqual(expected("monte-carlo/pi", PI));
    for (const call of job.calls.filter((c) => verifiedOf(c))) expect(agreedBy(call)).not.toContain("liar");
  });
});
