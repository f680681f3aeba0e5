/**
 * Deleting payload blobs that no running or kept job names any more: the I/O of the rules in
 * core/jobs/payload-holds.ts (read that first: why holds, why the handshake, what is never
 * collected). A commander's leader holds a blob for a job tree before proposing a decision that
 * names it (hold); every commander of the shard, when its sweep expires trees (JobDriver's
 * appliedSlot), releases their holds and deletes each blob left without one (release). Every step
 * is idempotent, so that all of a shard's commanders do it, each under its own mark, and a lagging
 * follower cannot delete what the leader's newer state names: it removes only holds of trees that
 * expired in the prefix it applied, which stay expired in every longer one, and deletes only blobs
 * nobody holds in the bucket, whatever its own state says.
 */
import { payloadKey } from "../../core/jobs/payload.ts";
import {
  DELETING_PREFIX,
  type PayloadHold,
  type TreeBlob,
  type TreeOf,
  deletingKey,
  deletingPrefix,
  holdKey,
  holdsOf,
  holdsPrefix,
  markedBlob,
} from "../../core/jobs/payload-holds.ts";
import type { Decision, JobId } from "../../core/jobs/decisions.ts";
import type { JobRecord } from "../../core/jobs/state.ts";
import { PaxflowError, errorMessage } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Timers } from "../timers.ts";
import type { BlobStore } from "./payload-store.ts";

const EMPTY = new Uint8Array(0);

/**
 * Holds this incarnation wrote and checked, not written or checked again: until its tree expires
 * nobody deletes the blob, and after that no decision about the tree is taken. Bounded: when full
 * it starts over (a hold written again is harmless).
 */
const REMEMBERED_HOLDS = 10_000;

/** Most bytes of its own seals a commander keeps until their holds are written (sealing()); a larger blob is not kept. */
const SEALED_BYTES = 16 * 1024 * 1024;

/**
 * How long a holder waits, each time, for a mark to go before it looks again (ms): a delete takes
 * a few R2 requests, so the first looks come soon; about 3 s in all before it refuses.
 */
const MARK_WAITS = [5, 20, 100, 400, 1_000, 1_500];

/** What whoever named a blob that is gone, or going, does: every hold after the delete keeps it. */
const again = (sha256: string) => `upload it again (PUT /v1/payloads/${sha256}; a submit uploads its JSON input itself), then submit or report again`;

/** Most marks one sweep lists to finish its own (a mark lives from a delete's start to its end: few). */
const MARK_PAGE = 1_000;

export class PayloadHolds {
  private readonly held = new Set<string>();
  /** What this commander sealed, by blob key, until held (sealing()). */
  private readonly sealed = new Map<string, Uint8Array>();
  private sealedBytes = 0;
  /** Sweeps run one after another: each is many R2 requests, and they touch the same keys. */
  private sweeping: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly blobs: BlobStore,
    private readonly shard: number,
    /** This commander's lasting name: its marks carry it, and a restarted commander finishes them. */
    private readonly deleter: string,
    private readonly log: Logger,
    /** The commander's clock (JobDriver's): a holder's waits for a mark run on it, so tests and simulations control them. */
    private readonly timers: Timers,
    private readonly keyOf: (sha256: string) => string = payloadKey,
  ) {}

  /**
   * Before `decisions` are proposed: each blob they name is held for its tree, and is there and
   * not being deleted. A delete under way is waited for; a blob it took is written again from
   * the bytes this commander sealed, when it sealed them itself (sealing()). Otherwise throws
   * payload-deleting or payload-missing, rather than let the log name bytes that are gone: both
   * are retryable, by whoever has the bytes (a client's submit seals its input anew; a stage
   * Worker's or runner's result is refused, and its call's attempt times out and runs again).
   */
  async hold(decisions: readonly Decision[], jobOf: (id: JobId) => JobRecord | undefined): Promise<void> {
    const treeOf: TreeOf = (id) => {
      const root = jobOf(jobOf(id)?.root ?? id);
      return root ? { root: root.id, run: root.acceptedAt } : undefined;
    };
    await Promise.all(holdsOf(decisions, this.shard, treeOf).map((h) => this.holdOne(h)));
  }

  /**
   * The store this commander's own Payloads writes through: it keeps the bytes of what it sealed
   * until their hold is written (a blob deleted between the seal and the hold is written again),
   * at most SEALED_BYTES of them, oldest dropped first.
   */
  sealing(store: BlobStore): BlobStore {
    return {
      get: (key) => store.get(key),
      // Passed on: the commander seals whole values (put); streams are the API's uploads.
      putStream: (key, body, length, sha256) => store.putStream(key, body, length, sha256),
      getStream: (key) => store.getStream(key),
      has: (key) => store.has(key),
      delete: (key) => store.delete(key),
      list: (prefix, limit) => store.list(prefix, limit),
      put: async (key, bytes) => {
        this.keepSealed(key, bytes);
        await store.put(key, bytes);
      },
    };
  }

  private keepSealed(key: string, bytes: Uint8Array): void {
    if (bytes.length > SEALED_BYTES) return;
    this.sealedBytes += bytes.length - (this.sealed.get(key)?.length ?? 0);
    this.sealed.delete(key);
    this.sealed.set(key, bytes);
    for (const [oldest, kept] of this.sealed) {
      if (this.sealedBytes <= SEALED_BYTES) break;
      this.sealed.delete(oldest);
      this.sealedBytes -= kept.length;
    }
  }

  private takeSealed(key: string): Uint8Array | undefined {
    const bytes = this.sealed.get(key);
    if (bytes) {
      this.sealed.delete(key);
      this.sealedBytes -= bytes.length;
    }
    return bytes;
  }

  private async holdOne(hold: PayloadHold): Promise<void> {
    const key = holdKey(hold);
    const blob = this.keyOf(hold.sha256);
    if (this.held.has(key)) {
      this.takeSealed(blob);
      return;
    }
    // The order is the handshake's (core/jobs/payload-holds.ts): the hold, then the marks, then the blob.
    await this.blobs.put(key, EMPTY);
    // A mark lasts from a delete's start to its end: waited for, a few times, then refused.
    for (let wait = 0; (await this.blobs.list(deletingPrefix(hold.sha256), 1)).length > 0; wait++) {
      if (wait >= MARK_WAITS.length) {
        throw new PaxflowError("payload-deleting", `payload ${hold.sha256} is being deleted (no kept job named it any more): ${again(hold.sha256)}, once that delete is over (a few seconds)`);
      }
      await new Promise((resolve) => this.timers.setTimeout(() => resolve(undefined), MARK_WAITS[wait]!));
    }
    if (!(await this.blobs.has(blob))) {
      // Deleted by a delete whose last look came before this hold: none after it deletes these
      // bytes again (each sees the hold), so writing them back is safe.
      const bytes = this.takeSealed(blob);
      if (!bytes) {
        throw new PaxflowError("payload-missing", `payload ${hold.sha256} is not in the payload store (deleted once no kept job named it): ${again(hold.sha256)}`);
      }
      await this.blobs.put(blob, bytes);
    }
    this.takeSealed(blob);
    if (this.held.size >= REMEMBERED_HOLDS) this.held.clear();
    this.held.add(key);
  }

  /**
   * The trees these blobs were named by expired: their holds go, and each blob nobody holds any
   * more is deleted. Runs after the sweeps before it; failures are logged, and what they left
   * is retried by nobody (the blob stays: see "What this does not collect"), except a mark,
   * which this commander's next sweep finishes.
   */
  release(blobs: readonly TreeBlob[]): Promise<void> {
    if (blobs.length === 0) return this.sweeping;
    this.sweeping = this.sweeping
      .then(() => this.sweep(blobs))
      .catch((error: unknown) => this.log.warn("deleting payloads of expired jobs failed; their blobs stay", { reason: errorMessage(error) }));
    return this.sweeping;
  }

  /** Resolves when every sweep asked for so far is over (tests wait on it, not on time). */
  idle(): Promise<void> {
    return this.sweeping;
  }

  /** This incarnation is gone: a sweep under way deletes nothing more (another incarnation of the same name may take over its marks). */
  close(): void {
    this.closed = true;
  }

  private async sweep(blobs: readonly TreeBlob[]): Promise<void> {
    // Marks this commander left when it stopped in the middle of a delete: finished first, or
    // every hold on those blobs would be refused for good.
    for (const key of await this.blobs.list(DELETING_PREFIX, MARK_PAGE)) {
      const sha256 = markedBlob(key, this.deleter);
      if (sha256 !== null) await this.collect(sha256, true);
    }
    await Promise.all(
      blobs.map((b) => {
        const key = holdKey({ ...b, shard: this.shard });
        this.held.delete(key);
        return this.blobs.delete(key);
      }),
    );
    for (const sha256 of new Set(blobs.map((b) => b.sha256))) await this.collect(sha256, false);
  }

  /** Deletes the blob if nobody holds it, by the handshake; `marked`: this deleter's mark is there already. */
  private async collect(sha256: string, marked: boolean): Promise<void> {
    const holds = holdsPrefix(sha256);
    // Cheap first look: a blob still held (the common case for shared ones) needs no mark.
    if (!marked && (await this.blobs.list(holds, 1)).length > 0) return;
    const mark = deletingKey(sha256, this.deleter);
    if (!marked) await this.blobs.put(mark, EMPTY);
    if (this.closed) return;
    // The last look, after the mark: a hold written from here on sees the mark and is refused.
    if ((await this.blobs.list(holds, 1)).length === 0 && !this.closed) await this.blobs.delete(this.keyOf(sha256));
    // Removed only once the delete is done: a holder that finds no mark finds no blob either.
    await this.blobs.delete(mark);
  }
}
