/**
 * One behaviour for every BlobStore (runtime/jobs/payload-store.ts) and for the payload holds
 * over it (runtime/jobs/payload-holds.ts): the in-memory store (test/core/blob-store-memory.test.ts)
 * and R2 through r2Blobs (test/workerd/blob-store-r2.test.ts) run these same cases. Each case
 * uses keys of its own, so a store shared between cases (one R2 bucket) answers alike.
 */
import { describe, expect, it } from "vitest";
import type { Decision, JobId } from "../../core/jobs/decisions.ts";
import { deletingKey, holdKey } from "../../core/jobs/payload-holds.ts";
import { payloadKey } from "../../core/jobs/payload.ts";
import type { JobRecord } from "../../core/jobs/state.ts";
import { errorCode } from "../../runtime/errors.ts";
import { jsonLogger } from "../../runtime/log.ts";
import { type Timers, realTimers } from "../../runtime/timers.ts";
import { PayloadHolds } from "../../runtime/jobs/payload-holds.ts";
import { type BlobStore, sha256Hex } from "../../runtime/jobs/payload-store.ts";

const quiet = jsonLogger({}, () => undefined);
const bytes = (n: number) => new Uint8Array(n).fill(7);

/** `value` as a body arrives: in pieces of `piece` bytes. */
const streamOf = (value: Uint8Array, piece: number) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < value.length; at += piece) controller.enqueue(value.slice(at, at + piece));
      controller.close();
    },
  });

/** A job.accepted naming blob `sha` as its input: the decision a leader holds before proposing. */
const accepted = (job: string, sha: string, at: number): Decision =>
  ({ type: "job.accepted", job: job as JobId, name: "n", input: { r2: sha, bytes: 20_000 }, at }) as Decision;

/** Only top-level jobs accepted in the same proposal: nothing to look up. */
const unknown = (): JobRecord | undefined => undefined;

/** "held", or the code the hold was refused with. */
const outcome = (held: Promise<void>): Promise<string | null> =>
  held.then(
    () => "held",
    (error: unknown) => errorCode(error),
  );

/** The store, with a step of another party's run at a chosen point of this one's: after a put, or before a delete. */
function hooked(inner: BlobStore, hooks: { afterPut?: (key: string) => Promise<void>; beforeDelete?: (key: string) => Promise<void> }): BlobStore {
  return {
    get: (k) => inner.get(k),
    putStream: (k, body, n, sha) => inner.putStream(k, body, n, sha),
    getStream: (k) => inner.getStream(k),
    has: (k) => inner.has(k),
    list: (p, n) => inner.list(p, n),
    async put(k, b) {
      await inner.put(k, b);
      await hooks.afterPut?.(k);
    },
    async delete(k) {
      await hooks.beforeDelete?.(k);
      await inner.delete(k);
    },
  };
}

/** The first index where two byte arrays differ (a length difference counts), or -1 when equal. */
function firstDifference(a: Uint8Array | null, b: Uint8Array): number {
  if (a === null) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

export function blobStoreConformance(label: string, makeStore: () => BlobStore): void {
  describe(`blob store (${label})`, () => {
    it("puts, reads, tells what is there, deletes (an absent key too) and lists a prefix in key order", async () => {
      const store = makeStore();
      const p = `conf-basic-${label}/`;
      expect(await store.get(`${p}a`)).toBeNull();
      expect(await store.has(`${p}a`)).toBe(false);
      await store.put(`${p}b`, bytes(3));
      await store.put(`${p}a`, bytes(2));
      await store.put(`${p}c/d`, bytes(1));
      await store.put(`conf-other-${label}`, bytes(1));
      expect(await store.get(`${p}a`)).toEqual(bytes(2));
      expect(await store.has(`${p}b`)).toBe(true);
      expect(await store.list(p, 10)).toEqual([`${p}a`, `${p}b`, `${p}c/d`]);
      expect(await store.list(p, 2)).toEqual([`${p}a`, `${p}b`]);
      await store.delete(`${p}b`);
      await store.delete(`${p}b`);
      await store.delete(`${p}never`);
      expect(await store.has(`${p}b`)).toBe(false);
      expect(await store.list(p, 10)).toEqual([`${p}a`, `${p}c/d`]);
    });

    it("stores a value of several MiB whole (in pieces, for R2), and leaves the caller's bytes as they were", async () => {
      const store = makeStore();
      const value = Uint8Array.from({ length: 3 * 1024 * 1024 + 5 }, (_, i) => (i * 13) % 256);
      const copy = value.slice();
      const key = `conf-large-${label}`;
      await store.put(key, value);
      // Compared byte by byte here: toEqual walks a 3 MiB array element by element, for seconds.
      expect(firstDifference(value, copy)).toBe(-1);
      expect(firstDifference(await store.get(key), copy)).toBe(-1);
    });

    it("streams bytes in under their digest (stored once), and out as they were, with their size", async () => {
      const store = makeStore();
      const value = Uint8Array.from({ length: 70_000 }, (_, i) => i % 251);
      const sha = await sha256Hex(value);
      const key = `conf-stream-${label}/${sha}`;
      expect(await store.getStream(key)).toBeNull();
      expect(await store.putStream(key, streamOf(value, 4_096), value.length, sha)).toBe(true);
      const out = await store.getStream(key);
      expect(out?.size).toBe(value.length);
      expect(new Uint8Array(await new Response(out!.body).arrayBuffer())).toEqual(value);
      expect(await store.get(key)).toEqual(value);
      // The same name is the same bytes: not read again, and the body is let go.
      let cancelled = false;
      const again = new ReadableStream<Uint8Array>({ cancel: () => void (cancelled = true) });
      expect(await store.putStream(key, again, value.length, sha)).toBe(false);
      expect(cancelled).toBe(true);
    });

    it("stores nothing streamed under a name its bytes do not have: altered, cut short, or of another length than the one stored", async () => {
      const store = makeStore();
      const value = Uint8Array.from({ length: 30_000 }, (_, i) => (i * 7) % 253);
      const sha = await sha256Hex(value);
      const key = `conf-stream-bad-${label}/${sha}`;
      const altered = value.slice();
      altered[1_000] = altered[1_000]! ^ 0xff;
      const refusal = (body: ReadableStream<Uint8Array>, length = value.length) => store.putStream(key, body, length, sha).then(() => "stored", errorCode);
      expect(await refusal(streamOf(altered, 8_192))).toBe("digest-mismatch");
      expect(await refusal(streamOf(value.subarray(0, 29_000), 8_192))).toBe("digest-mismatch");
      expect(await store.has(key)).toBe(false);
      await store.putStream(key, streamOf(value, 8_192), value.length, sha);
      expect(await refusal(streamOf(value.subarray(0, 100), 100), 100)).toBe("digest-mismatch");
      expect(await store.get(key)).toEqual(value);
    });

    it("deletes a blob once the last tree that held it expired, with its holds, and leaves no mark", async () => {
      const store = makeStore();
      const sha = `conf-last-${label}`;
      await store.put(payloadKey(sha), bytes(20));
      const holds = new PayloadHolds(store, 3, "commander-a", quiet, realTimers);
      await holds.hold([accepted("j1", sha, 10)], unknown);
      await holds.hold([accepted("j2", sha, 20)], unknown);
      expect(await store.has(holdKey({ sha256: sha, shard: 3, root: "j1", run: 10 }))).toBe(true);
      await holds.release([{ sha256: sha, root: "j1", run: 10 }]);
      // j2 still holds it (a running job or a kept one: a hold is a hold).
      expect(await store.has(payloadKey(sha))).toBe(true);
      await holds.release([{ sha256: sha, root: "j2", run: 20 }]);
      expect(await store.has(payloadKey(sha))).toBe(false);
      expect(await store.list(`payload-holds/${sha}/`, 10)).toEqual([]);
      expect(await store.list(`payload-deleting/${sha}/`, 10)).toEqual([]);
      // Released again (every commander of the shard sweeps): nothing happens, nothing fails.
      await holds.release([{ sha256: sha, root: "j2", run: 20 }]);
    });

    it("keeps a blob another shard holds, and one a job of the same id but another run holds", async () => {
      const store = makeStore();
      const sha = `conf-shared-${label}`;
      await store.put(payloadKey(sha), bytes(20));
      const shard0 = new PayloadHolds(store, 0, "commander-0", quiet, realTimers);
      const shard1 = new PayloadHolds(store, 1, "commander-1", quiet, realTimers);
      await shard0.hold([accepted("same", sha, 10)], unknown);
      await shard1.hold([accepted("other", sha, 11)], unknown);
      // The id run again after its retention (its key free again) holds under its new run.
      await shard0.hold([accepted("same", sha, 99)], unknown);
      await shard0.release([{ sha256: sha, root: "same", run: 10 }]);
      await shard1.release([{ sha256: sha, root: "other", run: 11 }]);
      expect(await store.has(payloadKey(sha))).toBe(true);
      await shard0.release([{ sha256: sha, root: "same", run: 99 }]);
      expect(await store.has(payloadKey(sha))).toBe(false);
    });

    it("refuses to hold a blob gone (payload-missing) or marked by a deleter that does not finish (payload-deleting), and holds it once stored anew", async () => {
      const store = makeStore();
      const sha = `conf-refuse-${label}`;
      // The holder's waits for a mark run on the clock it is given: here one that only records them.
      const waited: number[] = [];
      const recording: Timers = { ...realTimers, setTimeout: (callback, ms) => (waited.push(ms), queueMicrotask(callback)) };
      const holds = new PayloadHolds(store, 0, "commander-0", quiet, recording);
      const refusal = (job: string) => outcome(holds.hold([accepted(job, sha, 1)], unknown));
      expect(await refusal("a")).toBe("payload-missing");
      await store.put(payloadKey(sha), bytes(20));
      // A mark nobody removes (its commander stopped mid-delete): waited for a while, then refused.
      await store.put(deletingKey(sha, "commander-9"), bytes(0));
      expect(await refusal("b")).toBe("payload-deleting");
      expect(waited.reduce((a, b) => a + b, 0)).toBe(3_025);
      await store.delete(deletingKey(sha, "commander-9"));
      expect(await refusal("c")).toBe("held");
    });

    it("a hold that lands between a deleter's mark and its last look: the blob is kept, and the holder waits for the mark to go", async () => {
      const inner = makeStore();
      const sha = `conf-race-kept-${label}`;
      const holder = new PayloadHolds(inner, 0, "leader", quiet, realTimers);
      let raced: Promise<string | null> | null = null;
      const racing = hooked(inner, {
        async afterPut(key) {
          if (key !== deletingKey(sha, "follower") || raced) return;
          // The leader's hold lands now, before the deleter looks for the last time.
          await inner.put(holdKey({ sha256: sha, shard: 0, root: "new", run: 50 }), bytes(0));
          raced = outcome(holder.hold([accepted("new", sha, 50)], unknown));
        },
      });
      await inner.put(payloadKey(sha), bytes(20));
      const deleter = new PayloadHolds(racing, 0, "follower", quiet, realTimers);
      await deleter.hold([accepted("old", sha, 5)], unknown);
      await deleter.release([{ sha256: sha, root: "old", run: 5 }]);
      expect(await raced).toBe("held");
      expect(await inner.has(payloadKey(sha))).toBe(true);
      expect(await inner.list(`payload-deleting/${sha}/`, 10)).toEqual([]);
    });

    it("a hold that lands after a deleter's last look: the holder writes back the bytes it sealed, or is refused without them", async () => {
      for (const sealedHere of [true, false]) {
        const inner = makeStore();
        const sha = `conf-race-gone-${sealedHere}-${label}`;
        const holder = new PayloadHolds(inner, 0, "leader", quiet, realTimers);
        // The bytes come from this commander's own seal, or from elsewhere (a client, a runner).
        await (sealedHere ? holder.sealing(inner) : inner).put(payloadKey(sha), bytes(20));
        let raced: Promise<string | null> | null = null;
        const racing = hooked(inner, {
          async beforeDelete(key) {
            if (key !== payloadKey(sha) || raced) return;
            // The deleter looked and found no hold; the leader's lands just before the delete.
            await inner.put(holdKey({ sha256: sha, shard: 0, root: "new", run: 50 }), bytes(0));
            raced = outcome(holder.hold([accepted("new", sha, 50)], unknown));
          },
        });
        const deleter = new PayloadHolds(racing, 0, "follower", quiet, realTimers);
        await deleter.hold([accepted("old", sha, 5)], unknown);
        await deleter.release([{ sha256: sha, root: "old", run: 5 }]);
        expect(await raced).toBe(sealedHere ? "held" : "payload-missing");
        expect(await inner.has(payloadKey(sha))).toBe(sealedHere);
        // Held now, whoever stores the bytes again: no later sweep deletes them.
        await inner.put(payloadKey(sha), bytes(20));
        await deleter.release([{ sha256: sha, root: "old", run: 5 }]);
        expect(await inner.has(payloadKey(sha))).toBe(true);
      }
    });

    it("a commander that stopped in the middle of a delete finishes it on its next sweep", async () => {
      const store = makeStore();
      const sha = `conf-resume-${label}`;
      await store.put(payloadKey(sha), bytes(20));
      // Its mark, left by an incarnation that stopped before its last look.
      await store.put(deletingKey(sha, "commander-r"), bytes(0));
      const other = new PayloadHolds(store, 0, "commander-q", quiet, realTimers);
      await other.release([{ sha256: sha, root: "x", run: 1 }]);
      // Another commander's mark is not its to finish.
      expect(await store.has(deletingKey(sha, "commander-r"))).toBe(true);
      const again = new PayloadHolds(store, 0, "commander-r", quiet, realTimers);
      await again.release([{ sha256: `conf-resume-other-${label}`, root: "y", run: 2 }]);
      expect(await store.has(deletingKey(sha, "commander-r"))).toBe(false);
      expect(await store.has(payloadKey(sha))).toBe(false);
    });
  });
}
