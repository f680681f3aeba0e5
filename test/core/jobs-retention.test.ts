/**
 * Finished jobs through the commander (JobDriver over in-memory acceptors): they leave memory
 * for the commander's store, stay readable and keep their idempotency key for JOB_RETENTION on
 * the log's clock, survive a restart, and a commander that adopts a snapshot copies the ones it
 * skipped from the snapshot's author. Snapshots hold running jobs only.
 */
import { afterEach, describe, expect, it } from "vitest";
import { encode } from "../../core/codec.ts";
import type { JobId } from "../../core/jobs/decisions.ts";
import { inlinePayload } from "../../core/jobs/payload.ts";
import type { JobsSnapshot } from "../../core/jobs/state.ts";
import type { Snapshot } from "../../core/paxos/index.ts";
import type { Viewer } from "../../core/jobs/tenancy.ts";
import { type AppliedState, appliedStateOf } from "../../runtime/applied-log.ts";
import type { JobView } from "../../runtime/jobs/contract.ts";
import { errorCode } from "../../runtime/errors.ts";
import { retrying } from "../shared/jobs-conformance.ts";
import { type MemoryShard, type MemoryShardOptions, memoryShard, workerBackend } from "./support/memory-driver.ts";

const ADMIN: Viewer = { kind: "admin", name: "ops" };
const shards: MemoryShard[] = [];
afterEach(() => {
  for (const s of shards.splice(0)) s.close();
});

function start(options: Partial<MemoryShardOptions> = {}): MemoryShard {
  const s = memoryShard({ backends: (payloads) => ({ worker: workerBackend(payloads), sendToRunner: async () => undefined, probeRunner: async () => ({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }) }), ...options });
  shards.push(s);
  return s;
}

async function run(s: MemoryShard, id: string, name = "shapes/nested", input: unknown = { seed: 3 }): Promise<{ created: boolean; job: JobView }> {
  return retrying(() => s.driver().submitJob({ id: id as JobId, name, input: inlinePayload(encode(input as never)), waitMs: 20_000, submittedBy: "ops" }));
}

const getJob = (s: MemoryShard, id: string) => retrying(() => s.driver().getJob(id as JobId, ADMIN));

describe("finished jobs", () => {
  it("leave memory for the store, stay readable with their sub-jobs and events, and their key names them again", async () => {
    const s = start();
    const first = await run(s, "kept");
    expect(first.job.status).toBe("done");
    const child = first.job.calls.find((c) => c.kind === "job")?.child;
    expect(child).toBeDefined();
    // Memory holds running jobs only, and so does the snapshot.
    expect(s.driver().state.job("kept" as JobId)).toBeUndefined();
    expect(s.driver().state.snapshot().jobs).toEqual([]);
    expect((await getJob(s, "kept"))?.output).toEqual(first.job.output);
    expect((await getJob(s, child!))?.status).toBe("done");
    const events = await s.driver().jobEvents("kept" as JobId, ADMIN, 0, 0);
    expect(events?.events.at(-1)?.type).toBe("job.finished");
    expect((await s.driver().listJobs({ viewer: ADMIN, limit: 10 })).jobs.map((j) => j.id)).toEqual(["kept"]);
    const again = await run(s, "kept");
    expect(again).toEqual({ created: false, job: first.job });
  });

  it("are gone once the log's clock passes JOB_RETENTION, and their key then runs anew", async () => {
    // Short, but longer than one step of the job: read right after its end, it is still there.
    const s = start({ retentionMs: 500 });
    const short = (waitMs: number) =>
      retrying(() => s.driver().submitJob({ id: "short" as JobId, name: "shapes/chain", input: inlinePayload(encode({ seed: 7 })), waitMs, submittedBy: "ops" }));
    const first = await short(0);
    expect(first.created).toBe(true);
    // Time moves on only as decisions are applied: other jobs end it, however long that takes.
    for (let n = 0; (await getJob(s, "short")) !== null; n++) {
      expect(n).toBeLessThan(10_000);
      await run(s, `filler-${n}`, "shapes/chain", { seed: n });
    }
    expect(await s.driver().jobEvents("short" as JobId, ADMIN, 0, 0)).toBeNull();
    const again = await short(0);
    expect(again.created).toBe(true);
    expect(again.job.acceptedAt).toBeGreaterThan(first.job.acceptedAt);
  });

  it("are still answered for by a restarted commander", async () => {
    const s = start();
    const first = await run(s, "lasting");
    s.crash();
    expect(await getJob(s, "lasting")).toEqual(first.job);
    expect((await run(s, "lasting")).created).toBe(false);
  });

  it("missed by a commander that adopted a snapshot are copied from the snapshot's author", async () => {
    const a = start({ compactEvery: 4 });
    const outputs = new Map<string, unknown>();
    // Until the acceptors hold a snapshot: the slots before it are gone from the log.
    for (let n = 0; a.shared.network.inspect("acceptor-0").snapshot === null; n++) {
      expect(n).toBeLessThan(200);
      outputs.set(`early-${n}`, (await run(a, `early-${n}`, "shapes/chain", { seed: n })).job.output);
    }
    const snapshot = a.shared.network.inspect("acceptor-0").snapshot;
    // The snapshot holds no finished job, and names who holds them.
    const machine = appliedStateOf(snapshot!).machine as JobsSnapshot;
    expect(machine.jobs).toEqual([]);
    expect(machine.author).toBe(a.name);

    const b = start({ beside: a, compactEvery: 4 });
    expect(b.finished.completeThrough()).toBe(0);
    for (const [id, output] of outputs) expect((await getJob(b, id))?.output).toEqual(output);
    expect(b.finished.completeThrough()).toBeGreaterThanOrEqual(snapshot!.through);

    // The author out of reach: a third commander copies from the other one whose store is complete.
    a.shared.commanders.delete(a.name);
    const c = start({ beside: a, compactEvery: 4 });
    for (const [id, output] of outputs) expect((await getJob(c, id))?.output).toEqual(output);
    expect(c.finished.completeThrough()).toBeGreaterThanOrEqual(snapshot!.through);
  });

  it("kept in a snapshot taken before they moved to disk come out of it into the store, with nothing to copy", async () => {
    const a = start({ compactEvery: 100_000 });
    const outputs = new Map<string, unknown>();
    for (let n = 0; n < 3; n++) outputs.set(`early-${n}`, (await run(a, `early-${n}`, "shapes/chain", { seed: n })).job.output);
    // The snapshot the commander before this change would take now: finished jobs inside, no author.
    const commander = a.driver().commander as unknown as { applied: { state(): AppliedState }; proposer: { history: readonly { chosenAt: number }[] } };
    const through = a.driver().commander.status().appliedThrough;
    const app = structuredClone(commander.applied.state()) as AppliedState & { machine: Record<string, unknown> };
    const kept = a.finished.between(0, through, null, 1_000).map((row) => row.record);
    app.machine.jobs = [...(app.machine.jobs as unknown[]), ...kept];
    app.machine.finishedOrder = kept.filter((job) => !job.parent).map((job) => job.id);
    delete app.machine.author;
    delete app.machine.appliedAt;
    const snapshot = { through, configs: commander.proposer.history.filter((c) => c.chosenAt <= through), app } as unknown as Snapshot;
    for (const acceptor of ["acceptor-0", "acceptor-1", "acceptor-2"]) {
      await a.shared.network.call(acceptor, [{ type: "compact", snapshot }], a.shared.network.clusterOf(acceptor)!);
    }
    // No commander is complete that far to copy from: the snapshot itself holds what there is.
    a.shared.commanders.delete(a.name);
    const b = start({ beside: a });
    for (const [id, output] of outputs) expect((await getJob(b, id))?.output).toEqual(output);
    expect(b.driver().state.snapshot().jobs.filter((job) => job.status !== "running")).toEqual([]);
    expect(b.finished.completeThrough()).toBeGreaterThanOrEqual(through);
  });

  it("are not answered for by a commander that skipped them and can reach no complete store: 503, never 404", async () => {
    const a = start({ compactEvery: 4 });
    for (let n = 0; a.shared.network.inspect("acceptor-0").snapshot === null; n++) {
      expect(n).toBeLessThan(200);
      await run(a, `early-${n}`, "shapes/chain", { seed: n });
    }
    a.shared.commanders.delete(a.name);
    const b = start({ beside: a, compactEvery: 4 });
    const refusal = await retrying(() => b.driver().getJob("early-0" as JobId, ADMIN)).then(
      () => "answered",
      (error: unknown) => errorCode(error),
    );
    expect(refusal).toBe("store-incomplete");
    // Back within reach: the next request fills the gap and answers.
    a.shared.commanders.set(a.name, () => a.driver());
    expect((await getJob(b, "early-0"))?.status).toBe("done");
  });
});
