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
    calls: [{ seq: 0, kind: "stage", target: "t/inc@1", input: payload(1), queuedAt: 0, attempts: [] }],
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
    Object.assign(job.calls[0]!, { outcome: { ok: true, value: payload(2) }, node: "n1" });
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
});
