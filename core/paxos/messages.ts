import type { Ballot } from "./ballot.ts";
import type { ConfigHistory, QuorumConfig } from "./config.ts";

/** One replicated command. Ids let appliers drop a command proposed twice (client retry, takeover). */
export type LogCommand =
  | { readonly kind: "app"; readonly id: string; readonly data: unknown }
  | { readonly kind: "reconfigure"; readonly id: string; readonly config: QuorumConfig };

/** The value of one slot: a batch of commands. An empty batch is a no-op (gap filler). */
export interface Entry {
  readonly commands: readonly LogCommand[];
}

export const NOOP: Entry = Object.freeze({ commands: Object.freeze([]) as readonly LogCommand[] });

export interface AcceptedValue {
  readonly ballot: Ballot;
  readonly entry: Entry;
}

/**
 * State after applying every slot up to `through`. Acceptors keep the newest one and drop the
 * slots it covers; a learner that is behind adopts it instead of replaying those slots.
 */
export interface Snapshot {
  readonly through: number;
  readonly configs: ConfigHistory;
  readonly app: unknown;
}

// Proposer -> acceptor
export interface Prepare {
  readonly type: "prepare";
  readonly ballot: Ballot;
  readonly fromSlot: number;
  /** Budget for the chosen entries in the reply (the accepted values are never cut). */
  readonly maxBytes?: number;
}
export interface Accept {
  readonly type: "accept";
  readonly ballot: Ballot;
  readonly slot: number;
  readonly entry: Entry;
  /** Piggybacked commit: every slot <= commitThrough that this acceptor accepted at `ballot` is chosen. */
  readonly commitThrough: number;
}
export interface Commit { readonly type: "commit"; readonly ballot: Ballot; readonly through: number }
export interface Learn { readonly type: "learn"; readonly fromSlot: number; readonly maxBytes?: number }
export interface Compact { readonly type: "compact"; readonly snapshot: Snapshot }

export type ToAcceptor = Prepare | Accept | Commit | Learn | Compact;

// Acceptor -> proposer
export interface Promised {
  readonly type: "promise";
  readonly ballot: Ballot;
  readonly fromSlot: number;
  /** Every value accepted in a slot >= fromSlot (and past the snapshot). */
  readonly accepted: readonly (readonly [slot: number, value: AcceptedValue])[];
  /** Proven-chosen knowledge the acceptor has, so a lagging proposer catches up on the way. */
  readonly chosen: ChosenKnowledge;
}
export interface Accepted { readonly type: "accepted"; readonly ballot: Ballot; readonly slot: number }
export interface Nack {
  readonly type: "nack";
  /** The ballot that was refused. */
  readonly ballot: Ballot;
  /** The higher ballot this acceptor has promised. */
  readonly promised: Ballot;
}
export interface Learned { readonly type: "learned"; readonly chosen: ChosenKnowledge }

export interface ChosenKnowledge {
  readonly snapshot: Snapshot | null;
  readonly entries: readonly (readonly [slot: number, entry: Entry])[];
  /** Where to ask again when the entries were cut at the byte budget; null when complete. */
  readonly next: number | null;
}

/** Reply budget when a message names none: well under a Durable Object RPC's limit. */
export const DEFAULT_REPLY_BYTES = 4 << 20;

export type ToProposer = Promised | Accepted | Nack | Learned;

export interface Envelope<M> {
  readonly from: string;
  readonly to: string;
  readonly message: M;
}
