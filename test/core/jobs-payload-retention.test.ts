/**
 * Payload blobs through the commander (JobDriver over in-memory acceptors, its payloads and their
 * holds in one in-memory bucket): a finished job's large payloads are deleted once its retention
 * passed on the log's clock, and a blob another kept job names stays until that job goes too.
 * Time moves on only as decisions are applied: other jobs move it, and each test waits for the
 * store to have swept, never for a span of time.
 */
import { afterEach, describe, expect, it } from "vitest";
import { encode } from "../../core/codec.ts";
import type { JobId } from "../../core/jobs/decisions.ts";
import { DEFAULT_INLINE_PAYLOAD_BYTES, type Payload, inlinePayload, payloadKey } from "../../core/jobs/payload.ts";
import type { Viewer } from "../../core/jobs/tenancy.ts";
import { outcomeOf } from "../../core/jobs/state.ts";
import type { JobView } from "../../runtime/jobs/contract.ts";
import { retrying } from "../shared/jobs-conformance.ts";
import { type MemoryShard, memoryShard, workerBackend } from "./support/memory-driver.ts";

const ADMIN: Viewer = { kind: "admin", name: "ops" };
/** Long enough that a job outlives the others run while it is read back, short enough to pass quickly. */
const RETENTION_MS = 1_000;
const shards: MemoryShard[] = [];
afterEach(() => {
  for (const s of shards.splice(0)) s.close();
});

function start(): MemoryShard {
  const s = memoryShard({
    retentionMs: RETENTION_MS,
    backends: (payloads) => ({ worker: workerBackend(payloads), sendToRunner: async () => undefined, probeRunner: async () => ({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }) }),
  });
  shards.push(s);
  return s;
}

async function run(s: MemoryShard, id: string, name: string, input: Payload): Promise<JobView> {
  const reply = await retrying(() => s.driver().submitJob({ id: id as JobId, name, input, waitMs: 20_000, submittedBy: "ops" }));
  expect(reply.job.status).toBe("done");
  return reply.job;
}

let fillers = 0;
/** Small inline jobs until `done`: each moves the log's clock on (they name no blob). */
async function until(s: MemoryShard, done: () => boolean): Promise<void> {
  for (let n = 0; !done(); n++) {
    expect(n).toBeLessThan(20_000);
    await run(s, `filler-${fillers++}`, "shapes/chain", inlinePayload(encode({ seed: n })));
  }
}

/** The r2 blobs a job's view names (its input and its calls' inputs and results). */
function blobsOf(job: JobView): string[] {
  const found = new Set<string>();
  const add = (p: unknown) => {
    if (p && typeof p === "object" && "r2" in p) found.add((p as { r2: string }).r2);
  };
  add(job.input);
  for (const call of job.calls) {
    add(call.input);
    const outcome = outcomeOf(call);
    if (outcome?.ok) add(outcome.value);
  }
  return [...found];
}

const present = (s: MemoryShard, sha: string) => s.shared.blobs.objects.has(payloadKey(sha));
const keysUnder = (s: MemoryShard, prefix: string) => [...s.shared.blobs.objects.keys()].filter((k) => k.startsWith(prefix));
/** Swept from the commander's store (not only hidden from reads): the sweep released its holds. */
const swept = (s: MemoryShard, id: string) => () => s.finished.get(id as JobId) === undefined;

describe("payload blobs", () => {
  it("of a finished job are deleted once its retention passed on the log's clock, with their holds", async () => {
    const s = start();
    // A large input (sealed as the API seals it) and large results passed from stage to stage.
    const text = Array.from({ length: 4_000 }, (_, i) => `word${i % 97}`).join(" ");
    const input = await s.payloads.seal({ value: { text, chunkChars: 4_096 }, bytes: encode({ text, chunkChars: 4_096 }) });
    expect(input.bytes).toBeGreaterThan(DEFAULT_INLINE_PAYLOAD_BYTES);
    const counted = await run(s, "counted", "word-count", input);
    const rounded = await run(s, "rounded", "payloads/roundtrip", inlinePayload(encode({ bytes: 40_000 })));
    const blobs = [...blobsOf(counted), ...blobsOf(rounded)];
    expect(blobs.length).toBeGreaterThanOrEqual(3);
    for (const sha of blobs) expect(present(s, sha)).toBe(true);
    expect(keysUnder(s, "payload-holds/").length).toBeGreaterThanOrEqual(blobs.length);

    await until(s, () => swept(s, "counted")() && swept(s, "rounded")());
    await s.payloadHolds().idle();
    for (const sha of blobs) expect(present(s, sha)).toBe(false);
    expect(keysUnder(s, "payload-holds/")).toEqual([]);
    expect(keysUnder(s, "payload-deleting/")).toEqual([]);
  });

  it("named by a job still kept stay when another job naming them expires, and go with it", async () => {
    const s = start();
    const first = await run(s, "first", "payloads/roundtrip", inlinePayload(encode({ bytes: 40_000 })));
    const shared = blobsOf(first);
    expect(shared.length).toBe(2);
    // The second one ends well after the first: kept for half a retention after the first expires.
    await until(s, () => s.driver().state.appliedAt >= first.finishedAt! + RETENTION_MS / 2);
    const second = await run(s, "second", "payloads/roundtrip", inlinePayload(encode({ bytes: 40_000 })));
    // The same bytes: the same blobs, each one object.
    expect(blobsOf(second).sort()).toEqual([...shared].sort());

    await until(s, swept(s, "first"));
    await s.payloadHolds().idle();
    expect(await retrying(() => s.driver().getJob("second" as JobId, ADMIN))).not.toBeNull();
    for (const sha of shared) expect(present(s, sha)).toBe(true);

    await until(s, swept(s, "second"));
    await s.payloadHolds().idle();
    for (const sha of shared) expect(present(s, sha)).toBe(false);
  });
});
