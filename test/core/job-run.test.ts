/**
 * Incremental execution: a job's generator is kept where it stopped and fed only what is new
 * (core/sdk/replay.ts JobRun; runtime/jobs/live-jobs.ts keeps one per running job on the leader).
 * Counted, not timed: how many times a job's body starts.
 */
import { stage } from "../shared/calls.ts";
import { afterEach, describe, expect, it } from "vitest";
import { all, defineJob, defineStage } from "../../core/index.ts";
import { createRegistry } from "../../core/sdk/registry.ts";
import { type CallLog, JobRun, type RecordedCall, RecordedCalls, replay } from "../../core/sdk/replay.ts";
import { realTimers } from "../../runtime/timers.ts";
import { type MemoryShard, localRunners, memoryShard, workerBackend } from "../../runtime/jobs/memory-shard.ts";
import type { Viewer } from "../../core/jobs/tenancy.ts";
import { retrying } from "../shared/jobs-conformance.ts";
import { inlinePayload } from "../../core/jobs/payload.ts";
import { encode } from "../../core/codec.ts";

/** How many times each test job's body began: a replay from the start is one more. */
const starts = { chain: 0, fan: 0 };

const inc = defineStage({ name: "run-test/inc", version: 1, caps: ["cpu"], timeoutMs: 5_000, cost: { runtimeMs: () => 0.001, outputBytes: () => 8 }, run: (x: number) => x + 1 });
/** Declared slow with a short timeout: a runner that never answers is given up on soon. */
const quickTimeout = defineStage({ name: "run-test/quick-timeout", version: 1, caps: ["cpu"], timeoutMs: 300, cost: { runtimeMs: () => 50, outputBytes: () => 8 }, run: (x: number) => x * 2 });
const once = defineJob({
  name: "run-test/once",
  *run(x: number) {
    return yield* quickTimeout(x);
  },
});

/** Declared slow, so the commander sends it to a runner, never inline: every result arrives on its own. */
const slowInc = defineStage({ name: "run-test/slow-inc", version: 1, caps: ["cpu"], timeoutMs: 5_000, cost: { runtimeMs: () => 50, outputBytes: () => 8 }, run: (x: number) => x + 1 });

const chain = defineJob({
  name: "run-test/chain",
  *run({ n, slow }: { n: number; slow: boolean }) {
    starts.chain++;
    let x = 0;
    for (let i = 0; i < n; i++) x = yield* (slow ? slowInc : inc)(x);
    return x;
  },
});

/** A fan-out of cheap calls that all run inline, in one step: twice as many decisions as calls. */
const wide = defineJob({
  name: "run-test/wide",
  *run({ n }: { n: number }) {
    const out = yield* all(Array.from({ length: n }, (_, i) => inc(i)));
    return out.length;
  },
});

const fan = defineJob({
  name: "run-test/fan",
  *run({ n }: { n: number }) {
    starts.fan++;
    const out = yield* all(Array.from({ length: n }, (_, i) => slowInc(i)));
    return out.reduce((a, b) => a + b, 0);
  },
});

const registry = createRegistry({ inc, slowInc, chain, fan, wide, quickTimeout, once });

describe("JobRun", () => {
  it("runs a job to the end starting its body once, fed one result at a time, and agrees with replay", () => {
    starts.chain = 0;
    const run = new JobRun(chain, { n: 50, slow: false });
    const log: RecordedCall[] = [];
    for (;;) {
      const result = run.advanceTo(log);
      if (result.status !== "waiting") {
        expect(result).toEqual({ status: "done", output: 50 });
        break;
      }
      for (const { seq, call } of result.pending) log[seq] = { call, outcome: { ok: true, value: (call.input as number) + 1 } };
    }
    expect(starts.chain).toBe(1);
    expect(replay(chain, { n: 50, slow: false }, log)).toEqual({ status: "done", output: 50 });
    expect(starts.chain).toBe(2);
  });

  it("waits on all(...) of N calls without walking them at each result when the log counts outcomes, and resumes after the last", () => {
    const n = 1_000;
    const run = new JobRun(fan, { n });
    const calls = new RecordedCalls();
    let reads = 0;
    const log: CallLog = {
      get length() {
        return calls.length;
      },
      get settled() {
        return calls.settled;
      },
      at: (seq) => {
        reads++;
        return calls.at(seq);
      },
    };
    expect(run.advanceTo(log).status).toBe("waiting");
    const issued = run.unrecorded(log);
    expect(issued.map((p) => p.seq)).toEqual(Array.from({ length: n }, (_, i) => i));
    for (const { call } of issued) calls.push({ call });
    expect(run.unrecorded(log)).toEqual([]);
    // Results in any order; the job resumes once the last one is in, and not before.
    for (let seq = n - 1; seq >= 0; seq--) {
      expect(run.advanceTo(log).status).toBe("waiting");
      calls.settle(seq, { ok: true, value: seq + 1 });
    }
    expect(run.advanceTo(log)).toEqual({ status: "done", output: (n * (n + 1)) / 2 });
    // The last step reads the N outcomes once; walking them at every result would read N²/2.
    expect(reads).toBeLessThanOrEqual(2 * n);
  });

  it("lists what it waits for on a log that counts nothing, as results come in", () => {
    const run = new JobRun(fan, { n: 3 });
    const log: RecordedCall[] = [];
    const first = run.advanceTo(log);
    expect(first.status === "waiting" && first.pending.map((p) => [p.seq, p.recorded])).toEqual([[0, false], [1, false], [2, false]]);
    for (const { seq, call } of run.unrecorded(log)) log[seq] = { call };
    log[1] = { call: log[1]!.call, outcome: { ok: true, value: 2 } };
    const next = run.advanceTo(log);
    expect(next.status === "waiting" && next.pending.map((p) => [p.seq, p.recorded])).toEqual([[0, true], [2, true]]);
    log[0] = { call: log[0]!.call, outcome: { ok: true, value: 1 } };
    log[2] = { call: log[2]!.call, outcome: { ok: true, value: 3 } };
    expect(run.advanceTo(log)).toEqual({ status: "done", output: 6 });
  });

  it("a new run on a long log catches up once; a log that disagrees is nondeterminism", () => {
    const log: RecordedCall[] = Array.from({ length: 10 }, (_, i) => ({ call: { kind: "stage", target: "run-test/inc@1", input: i }, outcome: { ok: true, value: i + 1 } }));
    expect(new JobRun(chain, { n: 12, slow: false }).advanceTo(log)).toMatchObject({ status: "waiting", pending: [{ seq: 10, recorded: false }] });
    const wrong = [...log];
    wrong[4] = { call: { kind: "stage", target: "run-test/inc@1", input: 99 }, outcome: { ok: true, value: 100 } };
    expect(new JobRun(chain, { n: 12, slow: false }).advanceTo(wrong)).toMatchObject({ status: "failed", error: { kind: "nondeterministic", message: expect.stringContaining("call 4") } });
  });

  it("knows when it went ahead of the log (results it was fed that the log does not have)", () => {
    const run = new JobRun(chain, { n: 3, slow: false });
    const ahead: RecordedCall[] = [];
    const first = run.advanceTo(ahead);
    expect(first.status).toBe("waiting");
    ahead[0] = { call: { kind: "stage", target: "run-test/inc@1", input: 0 }, outcome: { ok: true, value: 1 } };
    expect(run.advanceTo(ahead)).toMatchObject({ status: "waiting", pending: [{ seq: 1 }] });
    expect(run.followsLog([{ call: ahead[0]!.call }])).toBe(false);
    expect(run.followsLog(ahead)).toBe(true);
  });
});

describe("the leader keeps each running job's generator", () => {
  let shard: MemoryShard | undefined;
  afterEach(() => shard?.close());
  const ADMIN: Viewer = { kind: "admin", name: "ops" };

  async function finish(s: MemoryShard, id: string, name: string, input: unknown) {
    await retrying(() => s.driver().submitJob({ id, name, input: inlinePayload(encode(input as never)), waitMs: 0, submittedBy: "ops" }));
    return (await s.driver().getJob(id, ADMIN, 60_000))!;
  }

  it("starts a 200-call chain's body about once, though every result arrives on its own", async () => {
    shard = memoryShard({ registry, timers: realTimers, verify: { fraction: 0, newNodeCalls: 0 }, backends: (payloads, driver) => ({ worker: workerBackend(registry, payloads), ...localRunners(registry, payloads, driver) }) });
    starts.chain = 0;
    const job = await finish(shard, "j-chain", "run-test/chain", { n: 200, slow: true });
    expect(job.status).toBe("done");
    expect(job.calls).toHaveLength(200);
    // Replayed from the start at every result, it would be 201; a rebuild after a lost proposal adds one.
    expect(starts.chain).toBeLessThan(10);
  });

  it("admits a step of more decisions than MAX_PENDING in parts: MAX_CALLS_PER_JOB is reachable: a 10,000-call inline fan-out (20,000 decisions) ends done", async () => {
    shard = memoryShard({ registry, timers: realTimers, verify: { fraction: 0, newNodeCalls: 0 }, backends: (payloads, driver) => ({ worker: workerBackend(registry, payloads), ...localRunners(registry, payloads, driver) }) });
    const job = await finish(shard, "j-wide", "run-test/wide", { n: 10_000 });
    expect(job.status, JSON.stringify(job.error)).toBe("done");
    expect(job.calls).toHaveLength(10_000);
  });

  it("hears of an outcome that no result decided: a verified call settled by its runner's timeout, the stage Worker's answer held until then", async () => {
    // A new runner's first call is verified: attempt 1 on the runner (which never answers), attempt
    // 2 on the stage Worker, whose answer is held for a second opinion. The runner's timeout then
    // leaves the Worker's answer to settle the call: a call.timeout, not a call.result, gives the
    // call its outcome, and the kept generator must hear of it.
    shard = memoryShard({
      registry,
      timers: realTimers,
      verify: { fraction: 0, newNodeCalls: 1 },
      backends: (payloads) => ({ worker: workerBackend(registry, payloads), sendToRunner: async () => undefined, probeRunner: async () => ({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }) }),
    });
    await retrying(() => shard!.driver().registerNode({ id: "silent", kind: "runner", url: "http://127.0.0.1:9", caps: ["cpu"], speed: { cpu: 100 }, slots: 4, latencyMs: 0.1, bandwidthMBps: 1_000 }, 1));
    const job = await finish(shard, "j-settled", "run-test/once", 21);
    expect(job.status, JSON.stringify(job.error)).toBe("done");
    expect(stage(job.calls[0]).attempts.map((a) => a.node)).toEqual(["silent", "worker"]);
    expect(stage(job.calls[0]).attempts[0]!.status.is).toBe("ended");
  });

  it("starts a 300-call fan-out's body about once, and again on takeover only", async () => {
    shard = memoryShard({ registry, timers: realTimers, verify: { fraction: 0, newNodeCalls: 0 }, backends: (payloads, driver) => ({ worker: workerBackend(registry, payloads), ...localRunners(registry, payloads, driver) }) });
    starts.fan = 0;
    const job = await finish(shard, "j-fan", "run-test/fan", { n: 300 });
    expect(job.status).toBe("done");
    expect(starts.fan).toBeLessThan(10);
    const before = starts.fan;
    shard.crash();
    const again = (await retrying(() => shard!.driver().getJob("j-fan", ADMIN)))!;
    expect(again.status).toBe("done");
    expect(starts.fan).toBe(before);
  });
});
