/**
 * When a large payload's bytes (R2, `payloads/<sha256>`) may be deleted: the rules, pure (no I/O,
 * no clock). runtime/jobs/payload-holds.ts runs them against the payload store.
 *
 * Why holds, and not "no job in my store names it": a blob is content-addressed, so one object
 * is shared by every job that makes or passes the same bytes, in this shard, in the other shards
 * that write the same bucket, and by uploads (PUT /v1/payloads/:sha256) that no job names yet. No
 * commander sees all of those, and R2 has no transaction or conditional delete to decide "nobody
 * names it" and delete in one step. So every tree of jobs that names a blob says so in the bucket
 * itself, next to the blob, before the log can name it:
 *
 *   payload-holds/<sha256>/<shard>/<root>@<run>     one per (blob, job tree), empty
 *
 * `run` is the root job's acceptedAt, so a job id run again after its retention (its key free
 * again) holds under another key than its expired namesake, whose release cannot take the new
 * hold away. A hold is written by the shard's leader before it proposes a decision that names the
 * blob (holdsOf), and removed by the shard's commanders once the tree expired on the log's clock
 * (retention.ts): no decision names an expired tree's jobs again, so a release is never early,
 * whichever commander makes it and however far behind the leader it is; removing it twice is
 * harmless. A blob with no hold left may be deleted, by the handshake below.
 *
 * Why a handshake: "list holds, find none, delete" races with a leader that writes a hold
 * between the list and the delete and checked that the blob exists just before the delete. So a
 * deleter first marks the blob as being deleted, under its own name (two deleters must not clear
 * each other's mark), and only then lists the holds for the last time:
 *
 *   deleter:  put payload-deleting/<sha256>/<deleter>; list holds; none: delete blob; remove mark
 *   holder:   put its hold; list marks until none; blob absent: write it again, or refuse
 *
 * With R2's strongly consistent reads and lists, either the deleter's last list comes after the
 * hold (it sees it and keeps the blob), or it comes before: then its mark was already there when
 * the holder first looked, and a mark is removed only after the delete finished. So once the
 * holder sees no mark, every delete that could take the blob is over, and every later one sees
 * the hold: a blob present then stays, and one absent may be written back (by a holder that has
 * the bytes) and stays too. A holder without them refuses, and whoever has the bytes retries (a
 * client's submit seals them anew; a runner's result is refused, and the call runs again). The
 * holder never proposes a decision naming bytes that are gone. The argument needs no clock: no
 * grace period, no comparison of times across machines (the holder's wait for a mark to go is
 * bounded only so that a mark left by a stopped commander refuses rather than hangs).
 *
 * What this does not collect (documented in the README, "Payloads and retention"): a blob that no
 * job tree ever held (an upload never submitted, a stage's result the log did not take, payloads
 * of jobs logged before holds existed, which their own shard's sweep does not release either),
 * and a blob whose hold was written for a decision that was not chosen, until that tree expires.
 * Those stay until removed by hand or by an R2 lifecycle rule on `payloads/`.
 */
import type { Decision, JobId } from "./decisions.ts";
import type { Payload } from "./payload.ts";
import { type JobRecord, heldAnswers, outcomeOf } from "./state.ts";

/** One job tree's claim on one blob: the tree's root and that root's acceptedAt (its run). */
export interface PayloadHold {
  readonly sha256: string;
  readonly shard: number;
  readonly root: JobId;
  readonly run: number;
}

/** Where holds and deleters' marks live: beside `payloads/`, in the same bucket, so every shard sees them. */
export const HOLDS_PREFIX = "payload-holds/";
export const DELETING_PREFIX = "payload-deleting/";

/** A blob an expired tree named, as a store of finished jobs reports it (FinishedJobs.expire): its hold, less the shard. */
export type TreeBlob = Omit<PayloadHold, "shard">;

/** Every hold on a blob, whichever shard and tree: the prefix a deleter lists. */
export const holdsPrefix = (sha256: string): string => `${HOLDS_PREFIX}${sha256}/`;

/** Job ids are chosen by clients: escaped, so no id can reach into another tree's or blob's keys. */
export const holdKey = (h: PayloadHold): string => `${holdsPrefix(h.sha256)}${h.shard}/${encodeURIComponent(h.root)}@${h.run}`;

/** Every deleter's mark on a blob: the prefix a holder lists. */
export const deletingPrefix = (sha256: string): string => `${DELETING_PREFIX}${sha256}/`;

/** One deleter's mark (deleter: a commander's lasting name, so it finds and finishes its own marks after a restart). */
export const deletingKey = (sha256: string, deleter: string): string => `${deletingPrefix(sha256)}${encodeURIComponent(deleter)}`;

/** The blob a mark of this deleter is on, or null for another deleter's mark or another key. */
export function markedBlob(key: string, deleter: string): string | null {
  if (!key.startsWith(DELETING_PREFIX)) return null;
  const [sha256, who, ...rest] = key.slice(DELETING_PREFIX.length).split("/");
  return sha256 && rest.length === 0 && who === encodeURIComponent(deleter) ? sha256 : null;
}

const r2Of = (p: Payload | undefined): string[] => (p && "r2" in p ? [p.r2] : []);

/** The blobs a decision names (its input, result or output, when it is one in R2). */
export function decisionBlobs(d: Decision): string[] {
  switch (d.type) {
    case "job.accepted":
    case "call.dispatched":
      return r2Of(d.input);
    case "call.result":
      return d.outcome.ok ? r2Of(d.outcome.value) : [];
    case "job.finished":
      return d.outcome.ok ? r2Of(d.outcome.output) : [];
    default:
      return [];
  }
}

/** The blobs a job's record names, each once: what replaying it, reading it or answering for it may read. */
export function recordBlobs(job: JobRecord): string[] {
  const found = new Set<string>([...r2Of(job.input), ...r2Of(job.output)]);
  for (const call of job.calls) {
    for (const sha of r2Of(call.input)) found.add(sha);
    const outcome = outcomeOf(call);
    if (outcome?.ok) for (const sha of r2Of(outcome.value)) found.add(sha);
    if (call.kind === "stage") for (const answer of heldAnswers(call)) if (answer.outcome.ok) for (const sha of r2Of(answer.outcome.value)) found.add(sha);
  }
  return [...found];
}

/** A job as the holder needs it: the root of its tree, and when that root was accepted. */
export type TreeOf = (job: JobId) => { readonly root: JobId; readonly run: number } | undefined;

/**
 * The holds a leader writes before proposing `decisions`: one per blob and tree. A job accepted
 * in the same proposal has no record yet: its tree comes from the decision (a sub-job's from its
 * parent's). A decision about a job the state does not know names nothing the state keeps.
 */
export function holdsOf(decisions: readonly Decision[], shard: number, treeOf: TreeOf): PayloadHold[] {
  const accepted = new Map<JobId, { root: JobId; run: number }>();
  const tree = (job: JobId) => accepted.get(job) ?? treeOf(job);
  const holds = new Map<string, PayloadHold>();
  for (const d of decisions) {
    if (d.type === "job.accepted") {
      const own = d.parent ? tree(d.parent.job) : { root: d.job, run: d.at };
      if (own) accepted.set(d.job, own);
    }
    const blobs = decisionBlobs(d);
    const owner = blobs.length > 0 && "job" in d ? tree(d.job) : undefined;
    if (!owner) continue;
    for (const sha256 of blobs) {
      const hold = { sha256, shard, root: owner.root, run: owner.run };
      holds.set(holdKey(hold), hold);
    }
  }
  return [...holds.values()];
}
