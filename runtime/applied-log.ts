import type { Committed, Snapshot } from "../core/paxos/index.ts";
import { fnv1a, fnv1aHex } from "../core/hash.ts";

/**
 * The application state a commander snapshots at compaction (`Snapshot.app`). `recentIds` is
 * the dedupe window: a command id seen again after a snapshot must still map to its first
 * slot, so the window travels inside the snapshot.
 */
export interface AppliedState {
  readonly appliedCommands: number;
  /** Running FNV-1a over every applied command: equal digests mean equal applied histories. */
  readonly digest: string;
  readonly recentIds: readonly (readonly [id: string, slot: number])[];
}

export interface CommandSlot {
  readonly id: string;
  readonly slot: number;
}

const INITIAL_DIGEST = fnv1aHex("");

function isAppliedState(value: unknown): value is AppliedState {
  const v = value as Partial<AppliedState> | null;
  return typeof v?.appliedCommands === "number" && typeof v.digest === "string" && Array.isArray(v.recentIds);
}

/**
 * Applies chosen entries in slot order, dropping commands whose id was already applied (a
 * client retry or a takeover can get one command chosen twice), and keeps the most recent
 * entries for reads.
 */
export class AppliedLog {
  private appliedThrough_ = 0;
  private appliedCommands = 0;
  private digest = INITIAL_DIGEST;
  /** Insertion-ordered, so the oldest ids are evicted first; deterministic on every replica. */
  private readonly recentIds = new Map<string, number>();
  private entries: Committed[] = [];

  constructor(
    private readonly dedupeWindow: number,
    private readonly retainEntries: number,
  ) {}

  get appliedThrough(): number {
    return this.appliedThrough_;
  }

  /** The slot where this command id was first applied, if it is still in the window. */
  slotOf(id: string): number | undefined {
    return this.recentIds.get(id);
  }

  /** Applies one entry; returns, for each of its commands, the slot that holds its first copy. */
  apply(committed: Committed): CommandSlot[] {
    const outcome: CommandSlot[] = [];
    for (const command of committed.entry.commands) {
      const first = this.recentIds.get(command.id);
      if (first === undefined) {
        this.recentIds.set(command.id, committed.slot);
        this.appliedCommands++;
        this.digest = fnv1aHex(JSON.stringify(command), fnv1a(this.digest));
        if (this.recentIds.size > this.dedupeWindow) this.recentIds.delete(this.recentIds.keys().next().value!);
      }
      outcome.push({ id: command.id, slot: first ?? committed.slot });
    }
    this.appliedThrough_ = committed.slot;
    this.entries.push(committed);
    if (this.entries.length > this.retainEntries) this.entries = this.entries.slice(-this.retainEntries);
    return outcome;
  }

  /** Adopts a snapshot taken by someone further ahead; returns the ids it covers. */
  restore(snapshot: Snapshot): CommandSlot[] {
    if (!isAppliedState(snapshot.app)) throw new TypeError(`snapshot through ${snapshot.through} has no applied state`);
    this.appliedThrough_ = snapshot.through;
    this.appliedCommands = snapshot.app.appliedCommands;
    this.digest = snapshot.app.digest;
    this.recentIds.clear();
    for (const [id, slot] of snapshot.app.recentIds) this.recentIds.set(id, slot);
    // Entries before the snapshot that we never saw cannot be read from here any more.
    this.entries = [];
    return snapshot.app.recentIds.map(([id, slot]) => ({ id, slot }));
  }

  state(): AppliedState {
    return { appliedCommands: this.appliedCommands, digest: this.digest, recentIds: [...this.recentIds] };
  }

  /** Retained entries with slot >= fromSlot, at most `limit` of them. */
  read(fromSlot: number, limit: number): Committed[] {
    return this.entries.filter((e) => e.slot >= fromSlot).slice(0, limit);
  }
}
