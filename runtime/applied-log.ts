import type { Committed, Snapshot } from "../core/paxos/index.ts";
import { fnv1a, fnv1aHex } from "../core/hash.ts";

/**
 * The application state a commander snapshots at compaction. `Snapshot.app` carries it as its
 * JSON text (appliedStateOf reads either form: snapshots stored before held the object). `recentIds` is
 * the dedupe window: a command id seen again after a snapshot must still map to its first
 * slot, so the window travels inside the snapshot.
 */
export interface AppliedState {
  readonly appliedCommands: number;
  /** Running FNV-1a over every applied command: equal digests mean equal applied histories. */
  readonly digest: string;
  readonly recentIds: readonly (readonly [id: string, slot: number])[];
  /** The application's own state (StateMachine.snapshot), when there is one. */
  readonly machine?: unknown;
}

/**
 * What the log drives: every app command's data is applied once, in slot order, on every
 * commander. Snapshots carry its state so a commander that starts after compaction has it.
 */
export interface StateMachine {
  apply(data: unknown, id: string, slot: number): void;
  /** Every command of `slot` is applied (called for every slot, with or without app commands). */
  appliedSlot?(slot: number): void;
  snapshot(): unknown;
  /** Adopts a snapshot's state, taken once the log was applied through `through`. */
  restore(state: unknown, through: number): void;
  /**
   * Whether a snapshot may be taken now (default yes). The jobs machine says no while its store
   * of finished jobs has a gap: its snapshot would let others truncate slots no complete store holds.
   */
  snapshotReady?(): boolean;
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

/** The applied state a snapshot carries: its JSON text, or (stored before) the object itself. */
export function appliedStateOf(snapshot: Snapshot): AppliedState {
  const app: unknown = typeof snapshot.app === "string" ? JSON.parse(snapshot.app) : snapshot.app;
  if (!isAppliedState(app)) throw new TypeError(`snapshot through ${snapshot.through} has no applied state`);
  return app;
}

/** UTF-8 length of a string without allocating its encoding. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The newest applied entries, bounded by count and by approximate bytes (the UTF-8 length of
 * their commands' JSON). A deque: new entries go on the back, old ones leave from the front in
 * O(1) amortized (the backing arrays are compacted only once half of them is dead).
 */
class RecentEntries {
  private items: (Committed | undefined)[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytes_ = 0;

  constructor(
    private readonly maxCount: number,
    private readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }
  get bytes(): number {
    return this.bytes_;
  }

  push(entry: Committed, size: number): void {
    this.items.push(entry);
    this.sizes.push(size);
    this.bytes_ += size;
    // The newest entry always stays, whatever its size, so reads see the head of the log.
    while (this.length > 0 && (this.length > this.maxCount || (this.bytes_ > this.maxBytes && this.length > 1))) this.shift();
  }

  clear(): void {
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.bytes_ = 0;
  }

  /** Retained entries with slot >= fromSlot, at most `limit`; slots increase, so binary search. */
  from(fromSlot: number, limit: number): Committed[] {
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid]!.slot < fromSlot) lo = mid + 1;
      else hi = mid;
    }
    return this.items.slice(lo, lo + Math.max(0, limit)) as Committed[];
  }

  private shift(): void {
    this.bytes_ -= this.sizes[this.head]!;
    this.items[this.head] = undefined;
    this.head++;
    if (this.head >= 64 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }
}

export const DEFAULT_RETAIN_BYTES = 1024 * 1024;

/**
 * Applies chosen entries in slot order, dropping commands whose id was already applied (a
 * client retry or a takeover can get one command chosen twice), and keeps the most recent
 * entries for reads (at most `retainEntries` of them and about `retainBytes`).
 */
export class AppliedLog {
  private appliedThrough_ = 0;
  private appliedBytes_ = 0;
  private appliedCommands = 0;
  private digest = INITIAL_DIGEST;
  /** Insertion-ordered, so the oldest ids are evicted first; deterministic on every replica. */
  private readonly recentIds = new Map<string, number>();
  private readonly entries: RecentEntries;

  constructor(
    private readonly dedupeWindow: number,
    retainEntries: number,
    retainBytes: number = DEFAULT_RETAIN_BYTES,
    private readonly machine: StateMachine | null = null,
  ) {
    this.entries = new RecentEntries(retainEntries, retainBytes);
  }

  get appliedThrough(): number {
    return this.appliedThrough_;
  }

  /** About how many bytes of entries this replica applied since it started (the UTF-8 length of their commands' JSON). */
  get appliedBytes(): number {
    return this.appliedBytes_;
  }

  /** How many entries, and about how many bytes of them, are held for reads. */
  get retained(): { entries: number; bytes: number } {
    return { entries: this.entries.length, bytes: this.entries.bytes };
  }

  /** The slot where this command id was first applied, if it is still in the window. */
  slotOf(id: string): number | undefined {
    return this.recentIds.get(id);
  }

  /** Applies one entry; returns, for each of its commands, the slot that holds its first copy. */
  apply(committed: Committed): CommandSlot[] {
    const outcome: CommandSlot[] = [];
    let size = 0;
    for (const command of committed.entry.commands) {
      const json = JSON.stringify(command);
      size += utf8Length(json);
      const first = this.recentIds.get(command.id);
      if (first === undefined) {
        this.recentIds.set(command.id, committed.slot);
        this.appliedCommands++;
        this.digest = fnv1aHex(json, fnv1a(this.digest));
        if (this.recentIds.size > this.dedupeWindow) this.recentIds.delete(this.recentIds.keys().next().value!);
        if (command.kind === "app") this.machine?.apply(command.data, command.id, committed.slot);
      }
      outcome.push({ id: command.id, slot: first ?? committed.slot });
    }
    this.appliedThrough_ = committed.slot;
    this.appliedBytes_ += size;
    this.machine?.appliedSlot?.(committed.slot);
    this.entries.push(committed, size);
    return outcome;
  }

  /** Adopts a snapshot taken by someone further ahead; returns the ids it covers. */
  restore(snapshot: Snapshot): CommandSlot[] {
    const app = appliedStateOf(snapshot);
    this.appliedThrough_ = snapshot.through;
    this.appliedCommands = app.appliedCommands;
    this.digest = app.digest;
    this.recentIds.clear();
    for (const [id, slot] of app.recentIds) this.recentIds.set(id, slot);
    this.machine?.restore(app.machine, snapshot.through);
    // Entries before the snapshot that we never saw cannot be read from here any more.
    this.entries.clear();
    return app.recentIds.map(([id, slot]) => ({ id, slot }));
  }

  /** Whether the machine can be snapshotted now (StateMachine.snapshotReady). */
  get snapshotReady(): boolean {
    return this.machine?.snapshotReady?.() ?? true;
  }

  state(): AppliedState {
    const base = { appliedCommands: this.appliedCommands, digest: this.digest, recentIds: [...this.recentIds] };
    return this.machine ? { ...base, machine: this.machine.snapshot() } : base;
  }

  /** Retained entries with slot >= fromSlot, at most `limit` of them. */
  read(fromSlot: number, limit: number): Committed[] {
    return this.entries.from(fromSlot, limit);
  }
}
