/**
 * The safety check over the decided log: every learner (each commander of a shard) that knows a
 * slot must know the same value there. The chaos suite reads each learner's retained entries as
 * the run goes (compaction drops old ones) and feeds their digests here.
 */
export interface Conflict {
  readonly shard: number;
  readonly slot: number;
  readonly learners: readonly [string, string];
}

export class LogCheck {
  /** shard -> slot -> (digest, first learner that reported it). */
  private readonly seen = new Map<number, Map<number, { readonly digest: string; readonly learner: string; readonly by: Set<string> }>>();
  readonly conflicts: Conflict[] = [];

  /** One learner's entry at a slot. */
  observe(shard: number, learner: string, slot: number, digest: string): void {
    let slots = this.seen.get(shard);
    if (!slots) this.seen.set(shard, (slots = new Map()));
    const known = slots.get(slot);
    if (!known) {
      slots.set(slot, { digest, learner, by: new Set([learner]) });
      return;
    }
    known.by.add(learner);
    if (known.digest !== digest) this.conflicts.push({ shard, slot, learners: [known.learner, learner] });
  }

  /** Slots reported, and slots reported by at least two learners (those actually compared). */
  counts(): { slots: number; compared: number } {
    let slots = 0;
    let compared = 0;
    for (const bySlot of this.seen.values()) {
      for (const entry of bySlot.values()) {
        slots++;
        if (entry.by.size >= 2) compared++;
      }
    }
    return { slots, compared };
  }
}
