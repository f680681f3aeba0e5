/**
 * Finished jobs in the Commander Durable Objects, under this project's bindings (vitest.config.ts
 * "workerd-retention"): RETAIN_JOBS 2 (the parsed cache), JOB_RETENTION 10s on the log's clock,
 * a snapshot every 16 slots. Time moves on here only as decisions are applied: tests end a
 * retention by running other jobs until the job is gone, never by sleeping.
 */
import { env, exports } from "cloudflare:workers";
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { encode } from "../../../core/codec.ts";
import type { JobId } from "../../../core/jobs/decisions.ts";
import { inlinePayload, payloadKey } from "../../../core/jobs/payload.ts";
import { type JobsSnapshot, outcomeOf } from "../../../core/jobs/state.ts";
import type { Viewer } from "../../../core/jobs/tenancy.ts";
import type { Snapshot } from "../../../core/paxos/index.ts";
import { appliedStateOf } from "../../../runtime/applied-log.ts";
import type { ErrorCode } from "../../../runtime/errors.ts";
import type { JobView, SubmitJobReply } from "../../../runtime/jobs/contract.ts";
import { keyedJobId } from "../../../workers/job-ids.ts";
import { retrying as retryingShared } from "../../shared/jobs-conformance.ts";
import { bearer } from "../../shared/tokens.ts";

const ADMIN: Viewer = { kind: "admin", name: "admin" };

const call = (path: string, init: RequestInit = {}) =>
  exports.default.fetch(new Request(`http://paxflow.test${path}`, { ...init, headers: { ...bearer(), "content-type": "application/json", ...init.headers } }));

interface JobBody {
  id: string;
  status: string;
  output?: unknown;
  calls: unknown[];
}

/** Submits, then waits for the job's end; `created` is false when the key already named a job. */
const post = async (job: string, input: unknown, idempotencyKey: string): Promise<JobBody & { created: boolean }> => {
  const response = await call("/v1/jobs", { method: "POST", body: JSON.stringify({ job, input, idempotencyKey }) });
  expect(response.status, await response.clone().text()).toBe(202);
  const { id, created } = (await response.json()) as { id: string; created: boolean };
  const done = await call(`/v1/jobs/${id}`, { headers: { prefer: "wait=20" } });
  expect(done.status).toBe(200);
  return { ...((await done.json()) as JobBody), created };
};

/** The job's events as the API streams them: each event's type, the end marker last. */
async function eventTypes(id: string): Promise<string[]> {
  const text = await (await call(`/v1/jobs/${id}/events`)).text();
  return text
    .split("\n\n")
    .flatMap((block) => block.split("\n").filter((line) => line.startsWith("event: ")))
    .map((line) => line.slice("event: ".length));
}

/** Each test its own shard (other workerd suites use 100+, 500+, 700+, 900). */
let nextShard = 1_100;
const commander = (shard: number, index: number) => env.COMMANDER.get(env.COMMANDER.idFromName(`shard-${shard}/commander-${index}`));

/** Besides what a leader change refuses: a commander taking over while a lease is held, or before its copy from a peer is done. */
const TAKEOVER: readonly ErrorCode[] = ["lease-held", "store-incomplete"];
const retrying = <T>(work: () => Promise<T>) => retryingShared(work, TAKEOVER);

const submit = (shard: number, index: number, id: string, seed: number, waitMs = 20_000) =>
  retrying(
    async () =>
      (await commander(shard, index).submitJob({ id: id as JobId, name: "shapes/chain", input: inlinePayload(encode({ seed })), waitMs, submittedBy: "admin" })) as SubmitJobReply,
  );
const getJob = (shard: number, index: number, id: string) => retrying(async () => (await commander(shard, index).getJob(id as JobId, ADMIN)) as JobView | null);

/** The snapshot acceptor-0 of `shard` holds, as it stored it (in parts), or null before the first. */
const storedSnapshot = (shard: number) =>
  runInDurableObject(env.ACCEPTOR.get(env.ACCEPTOR.idFromName(`shard-${shard}/acceptor-0`)), (_instance, state) => {
    const sql = state.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS snapshot_part (part INTEGER PRIMARY KEY, body TEXT NOT NULL)");
    const parts = sql.exec<{ body: string }>("SELECT body FROM snapshot_part ORDER BY part").toArray();
    return parts.length === 0 ? null : (JSON.parse(parts.map((p) => p.body).join("")) as Snapshot);
  });

describe("finished jobs in the Commander Durable Objects", () => {
  it("stay readable beyond RETAIN_JOBS (status, output, calls, events), their idempotency key names them, and a restarted commander answers for them", async () => {
    const keys = ["kept-a", "kept-b", "kept-c", "kept-d", "kept-e"];
    const first = new Map<string, JobBody>();
    for (const [n, key] of keys.entries()) {
      const job = await post("shapes/nested", { seed: n }, key);
      expect(job).toMatchObject({ created: true, status: "done" });
      expect(job.id).toBe(await keyedJobId("admin", key));
      first.set(key, job);
    }
    const check = async () => {
      for (const key of keys) {
        const before = first.get(key)!;
        const response = await call(`/v1/jobs/${before.id}`);
        expect(response.status).toBe(200);
        const job = (await response.json()) as JobBody;
        expect(job).toMatchObject({ id: before.id, status: "done", output: before.output });
        expect(job.calls).toEqual(before.calls);
        const events = await eventTypes(before.id);
        expect(events[0]).toBe("job.accepted");
        expect(events.slice(-2)).toEqual(["job.finished", "end"]);
        const again = await post("shapes/nested", { seed: keys.indexOf(key) }, key);
        expect(again).toMatchObject({ id: before.id, created: false, status: "done", output: before.output });
      }
    };
    await check();
    // Every commander starts again with nothing in memory: what it answers now comes from its storage.
    await abortAllDurableObjects();
    await check();
  });

  it("are not in snapshots, and a commander that skipped their slots copies them from the snapshot's author", async () => {
    const shard = nextShard++;
    const outputs = new Map<string, unknown>();
    for (let n = 0; n < 3; n++) outputs.set(`early-${n}`, (await submit(shard, 0, `early-${n}`, n)).job.output);
    // Other jobs, until acceptor-0 holds a snapshot taken after those three ended.
    let snapshot: Snapshot | null = null;
    for (let n = 0; snapshot === null; n++) {
      expect(n).toBeLessThan(500);
      await submit(shard, 0, `filler-${n}`, n);
      snapshot = await storedSnapshot(shard);
    }
    const machine = appliedStateOf(snapshot).machine as JobsSnapshot;
    expect(machine.author).toBe(`shard-${shard}/commander-0`);
    expect(machine.jobs.filter((j) => j.status !== "running")).toEqual([]);
    expect(machine.finishedOrder).toEqual([]);

    // commander-1 never ran before: it learns the log from that snapshot on, and has to copy.
    for (const [id, output] of outputs) {
      const job = await getJob(shard, 1, id);
      expect(job).toMatchObject({ id, status: "done", output });
    }
    expect((await submit(shard, 1, "early-0", 0)).created).toBe(false);
    // Copied into commander-1's own storage, not fetched per read.
    const copied = await runInDurableObject(commander(shard, 1), (_instance, state) =>
      state.storage.sql.exec<{ id: string }>("SELECT id FROM finished_job WHERE id LIKE 'early-%' ORDER BY id").toArray().map((r) => r.id),
    );
    expect(copied).toEqual([...outputs.keys()]);
  });

  it("take their large payloads with them: the blobs they named leave R2 once their retention passed", async () => {
    const shard = nextShard++;
    // Its calls' results are large (40 kB each): the stage Worker writes them to R2, the log names their hashes.
    const reply = await retrying(
      async () =>
        (await commander(shard, 0).submitJob({ id: "blobs" as JobId, name: "payloads/roundtrip", input: inlinePayload(encode({ bytes: 40_000 })), waitMs: 20_000, submittedBy: "admin" })) as SubmitJobReply,
    );
    expect(reply.job.status).toBe("done");
    const keys = reply.job.calls.map(outcomeOf).flatMap((o) => (o?.ok && "r2" in o.value ? [payloadKey(o.value.r2)] : []));
    expect(keys.length).toBe(2);
    for (const key of keys) expect(await env.PAYLOADS.head(key)).not.toBeNull();
    const held = async () => (await env.PAYLOADS.list({ prefix: "payload-holds/" })).objects.length;
    expect(await held()).toBeGreaterThanOrEqual(2);
    // Other jobs move the log's clock on until the job is gone and every commander's sweep deleted its blobs.
    const stored = async () => (await Promise.all(keys.map((key) => env.PAYLOADS.head(key)))).some((head) => head !== null);
    for (let n = 0; (await getJob(shard, 0, "blobs")) !== null || (await stored()); n++) {
      expect(n).toBeLessThan(10_000);
      await submit(shard, 0, `blob-filler-${n}`, n);
    }
    expect(await held()).toBe(0);
    expect((await env.PAYLOADS.list({ prefix: "payload-deleting/" })).objects).toEqual([]);
  });

  it("are gone once JOB_RETENTION has passed on the log's clock, and their id runs anew", async () => {
    const shard = nextShard++;
    const id = await keyedJobId("admin", "expiring");
    const first = await submit(shard, 0, id, 7, 0);
    expect(first.created).toBe(true);
    // The log's clock moves only with applied decisions: other jobs move it past the retention.
    for (let n = 0; (await getJob(shard, 0, id)) !== null; n++) {
      expect(n).toBeLessThan(10_000);
      await submit(shard, 0, `filler-${n}`, n);
    }
    expect(await commander(shard, 0).jobEvents(id as JobId, ADMIN, 0, 0)).toBeNull();
    const again = await submit(shard, 0, id, 7);
    expect(again.created).toBe(true);
    expect(again.job.status).toBe("done");
    expect(again.job.acceptedAt).toBeGreaterThan(first.job.acceptedAt);
  });
});
