/**
 * A call the stage Worker runs dies with the commander that sent it; the next leader sends it
 * again (JobDriver.resume). Such orphaned attempts are nobody's failure: leader after leader going
 * away must not use up the call's MAX_ATTEMPTS and fail a healthy job (core/jobs/recovery.ts).
 */
import { afterEach, expect, it, vi } from "vitest";
import { encode } from "../../core/codec.ts";
import { defineJob, defineStage } from "../../core/index.ts";
import { inlinePayload } from "../../core/jobs/payload.ts";
import { MAX_ATTEMPTS } from "../../core/jobs/recovery.ts";
import type { Viewer } from "../../core/jobs/tenancy.ts";
import { createRegistry } from "../../core/sdk/registry.ts";
import { type MemoryShard, memoryShard, workerBackend } from "../../runtime/jobs/memory-shard.ts";
import { realTimers } from "../../runtime/timers.ts";
import { stage } from "../shared/calls.ts";
import { retrying } from "../shared/jobs-conformance.ts";

/** Declared too slow to run inline, with a deadline the test never reaches: only commanders going away end its attempts. */
const slow = defineStage({ name: "orphan-test/slow", version: 1, caps: ["cpu"], timeoutMs: 60_000, cost: { runtimeMs: () => 50, outputBytes: () => 8 }, run: (x: number) => x + 1 });
const one = defineJob({
  name: "orphan-test/one",
  *run(x: number) {
    return yield* slow(x);
  },
});
const registry = createRegistry({ slow, one });

const ADMIN: Viewer = { kind: "admin", name: "ops" };

let shard: MemoryShard | undefined;
afterEach(() => shard?.close());

it("a job whose stage Worker call dies with its commander more than MAX_ATTEMPTS times still ends done", async () => {
  // The stage Worker holds every call until `answer` (a call sent by a commander that then dies is never answered).
  let answer = false;
  let sent = 0;
  shard = memoryShard({
    registry,
    timers: realTimers,
    verify: { fraction: 0, newNodeCalls: 0 },
    backends: (payloads) => {
      const worker = workerBackend(registry, payloads);
      return {
        worker: (name, input) => (sent++, answer ? worker(name, input) : new Promise(() => {})),
        sendToRunner: async () => undefined,
        probeRunner: async () => ({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }),
      };
    },
  });
  await retrying(() => shard!.driver().submitJob({ id: "j-orphans", name: "orphan-test/one", input: inlinePayload(encode(1)), waitMs: 0, submittedBy: "ops" }));
  const crashes = MAX_ATTEMPTS + 2;
  for (let i = 1; i <= crashes; i++) {
    await vi.waitFor(() => expect(sent).toBe(i), { timeout: 20_000, interval: 10 });
    // The leader after the last crash sends the call once more, and the Worker answers it.
    if (i === crashes) answer = true;
    shard.crash();
    // The next incarnation campaigns when asked for something; as leader it sends the call again.
    await retrying(() => shard!.driver().getJob("j-orphans", ADMIN, 0));
  }
  const job = (await retrying(() => shard!.driver().getJob("j-orphans", ADMIN, 30_000)))!;
  expect(job.status, JSON.stringify(job.error)).toBe("done");
  const { attempts } = stage(job.calls[0]);
  expect(attempts.map((a) => a.node)).toEqual(Array(crashes + 1).fill("worker"));
  expect(attempts.slice(0, crashes).every((a) => a.status.is === "ended" && a.status.how === "orphaned")).toBe(true);
  expect(attempts.at(-1)!.status.is).toBe("answered");
});
