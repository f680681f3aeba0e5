/**
 * What a leader keeps of its running jobs between steps (runtime/jobs/live-jobs.ts), against
 * decisions that apply while it awaits payloads: nothing it hears of may be lost, and nothing
 * built before leadership changed or the job ended may be kept after.
 */
import { describe, expect, it } from "vitest";
import { type Value, decode, encode } from "../../core/codec.ts";
import type { Payload } from "../../core/jobs/payload.ts";
import { inlinePayload } from "../../core/jobs/payload.ts";
import type { JobRecord } from "../../core/jobs/state.ts";
import { defineJob, defineStage } from "../../core/index.ts";
import { createRegistry } from "../../core/sdk/registry.ts";
import { LiveJobs } from "../../runtime/jobs/live-jobs.ts";
import { storedRef } from "../../core/sdk/stored.ts";

const inc = defineStage({ name: "t/inc", version: 1, caps: ["cpu"], timeoutMs: 5_000, cost: { runtimeMs: () => 50, outputBytes: () => 8 }, run: (x: number) => x + 1 });
const twice = defineJob({
  name: "t/twice",
  *run(x: number) {
    return yield* inc(yield* inc(x));
  },
});
const registry = createRegistry({ inc, twice });

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));
const bytesOf = (p: Payload) => Uint8Array.from(atob((p as { inline: string }).inline), (c) => c.charCodeAt(0));
/** Payloads that take a turn of the event loop to open, as R2 would. */
const payloads = {
  open: async (p: Payload): Promise<Value> => (await turn(), decode(bytesOf(p))),
  bytes: async (p: Payload) => (await turn(), bytesOf(p)),
};
const payload = (v: Value) => inlinePayload(encode(v));

function record(): JobRecord {
  return {
    id: "J",
    name: "t/twice",
    input: payload(1),
    acceptedAt: 0,
    root: "J",
    status: "running",
    events: [],
    calls: [{ seq: 0, kind: "stage", target: "t/inc@1", input: payload(1), queuedAt: 0, attempts: [], state: { is: "pending" } }],
  } as JobRecord;
}

describe("LiveJobs", () => {
  it("keeps an outcome that applied while a job was being built, for the next step", async () => {
    const live = new LiveJobs(registry, payloads);
    const job = record();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const building = live.seed(job, async () => (await gate, []));
    await turn();
    // Call 0's result applies while the build awaits the ancestry.
    job.calls[0]!.state = { is: "done", outcome: { ok: true, value: payload(2) }, node: "n1", startedAt: 0, finishedAt: 0 };
    live.changed("J", 0);
    release();
    await building;
    const next = await live.seed(job, async () => []);
    expect(next.calls.at(0)?.outcome).toEqual({ ok: true, value: 2 });
    expect(next.run!.advanceTo(next.calls)).toMatchObject({ status: "waiting", pending: [{ seq: 1 }] });
  });

  it("does not keep a job built across a change of leadership, or one that ended meanwhile", async () => {
    const live = new LiveJobs(registry, payloads);
    const job = record();
    const first = live.seed(job, async () => []);
    live.clear();
    const built = await first;
    expect(await live.seed(job, async () => [])).not.toBe(built);

    const ended = record();
    const second = live.seed(ended, async () => []);
    ended.status = "done";
    live.drop("J");
    const gone = await second;
    ended.status = "running";
    expect(await live.seed(ended, async () => [])).not.toBe(gone);
  });

  it("adopts a submit's run only in the era it was started in, and only while the job runs", async () => {
    const live = new LiveJobs(registry, payloads);
    const job = record();
    const era = live.generation;
    live.clear();
    const seed = await live.seed(job, async () => []);
    live.drop("J");
    live.adopt({ ...seed, run: seed.run! }, job, era);
    expect((await live.seed(job, async () => [])).run).not.toBe(seed.run);
    // In its own era, for a running job, it is kept.
    const fresh = await live.seed(job, async () => []);
    live.drop("J");
    live.adopt({ ...fresh, run: fresh.run! }, job, live.generation);
    expect((await live.seed(job, async () => [])).run).toBe(fresh.run);
  });

  describe("values in R2", () => {
    const big = defineStage({ name: "t/big", version: 1, caps: ["cpu"], timeoutMs: 5_000, cost: { runtimeMs: () => 50, outputBytes: () => 8 }, run: (n: number) => new Float64Array(n) });
    const size = defineStage({ name: "t/size", version: 1, caps: ["cpu"], timeoutMs: 5_000, cost: { runtimeMs: () => 50, outputBytes: () => 8 }, run: (xs: Float64Array) => xs.length });
    const handsOn = defineJob({
      name: "t/hands-on",
      *run(n: number) {
        return yield* size(yield* big.stored(n));
      },
    });
    const reads = defineJob({
      name: "t/reads",
      *run(n: number) {
        const xs = yield* big(n);
        return yield* size(new Float64Array(xs.length + 1));
      },
    });
    const bigRegistry = createRegistry({ big, size, handsOn, reads });
    const stored = new Map<string, Uint8Array>([["ab".repeat(32), encode(new Float64Array(4))]]);
    const r2: Payload = { r2: "ab".repeat(32), bytes: stored.get("ab".repeat(32))!.length };
    /** Opens inline payloads like `payloads`, R2 ones from `stored`, and counts the R2 reads. */
    const counting = () => {
      const reads: string[] = [];
      const open = async (p: Payload): Promise<Value> => {
        if ("inline" in p) return payloads.open(p);
        reads.push(p.r2);
        await turn();
        return decode(stored.get(p.r2)!);
      };
      return { reads, reader: { open, bytes: async (p: Payload) => encode(await open(p)) } };
    };
    const job = (name: string, calls: JobRecord["calls"]): JobRecord =>
      ({ id: "B", name, input: payload(4), acceptedAt: 0, root: "B", status: "running", events: [], calls }) as JobRecord;
    const bigCall: JobRecord["calls"][number] = {
      seq: 0,
      kind: "stage",
      target: "t/big@1",
      input: payload(4),
      queuedAt: 0,
      attempts: [],
      state: { is: "done", node: "n1", outcome: { ok: true, value: r2 }, startedAt: 0, finishedAt: 0 },
    };

    it("hands a stored result on as its reference: nothing is read from R2", async () => {
      const { reads, reader } = counting();
      const seed = await new LiveJobs(bigRegistry, reader).seed(job("t/hands-on", [bigCall]), async () => []);
      const next = seed.run!.advanceTo(seed.calls);
      expect(next.status).toBe("waiting");
      const [pending] = (next as Extract<typeof next, { status: "waiting" }>).pending;
      expect(storedRef(pending!.call.input)).toEqual(r2);
      // A new leader replays the dispatched call: the recorded input and the job's compare by digest.
      const rebuilt = await new LiveJobs(bigRegistry, reader).seed(job("t/hands-on", [bigCall, { seq: 1, kind: "stage", target: "t/size@1", input: r2, queuedAt: 0, attempts: [], state: { is: "pending" } }]), async () => []);
      expect(rebuilt.run!.advanceTo(rebuilt.calls)).toMatchObject({ status: "waiting", pending: [{ seq: 1, recorded: true }] });
      expect(reads).toEqual([]);
    });

    it("reads a result the job reads, once, and goes on from where it stopped", async () => {
      const { reads, reader } = counting();
      const seed = await new LiveJobs(bigRegistry, reader).seed(job("t/reads", [bigCall]), async () => []);
      const next = seed.run!.advanceTo(seed.calls);
      expect(next).toMatchObject({ status: "waiting", pending: [{ seq: 1, call: { target: "t/size@1" } }] });
      expect((next as Extract<typeof next, { status: "waiting" }>).pending[0]!.call.input).toEqual(new Float64Array(5));
      expect(reads).toEqual([r2.r2]);
    });
  });
});
