import { type Ballot, ZERO_BALLOT, ballotEquals, compareBallots } from "./ballot.ts";
import { type AcceptedValue, type ChosenKnowledge, DEFAULT_REPLY_BYTES, type Entry, type Snapshot, type ToAcceptor, type ToProposer } from "./messages.ts";

/**
 * What an acceptor must have on stable storage before it answers. The shell (a Durable
 * Object, or the simulator's disk) applies these in order, atomically, then sends the reply.
 */
export type AcceptorWrite =
  | { readonly kind: "promise"; readonly ballot: Ballot }
  | { readonly kind: "accept"; readonly slot: number; readonly value: AcceptedValue }
  | { readonly kind: "chosen"; readonly slots: readonly number[] }
  | { readonly kind: "compact"; readonly snapshot: Snapshot };

export interface AcceptedSlot extends AcceptedValue {
  readonly chosen: boolean;
}

/**
 * Everything an acceptor knows. All of it is durable: `restoreAcceptor` rebuilds it from the
 * writes (all but the commit cursor). `step` mutates it in place (copying the log on every accept would make each accept
 * O(log length)); the same sequence of messages always yields the same writes and replies.
 */
export interface AcceptorState {
  promised: Ballot;
  readonly accepted: Map<number, AcceptedSlot>;
  snapshot: Snapshot | null;
  /**
   * How far commit notifications for one ballot were already folded in. Only a cursor, not
   * durable: a restarted acceptor rescans once.
   */
  commitCursor: { readonly ballot: Ballot; readonly through: number } | null;
}

export const emptyAcceptorState = (): AcceptorState => ({
  promised: ZERO_BALLOT,
  accepted: new Map(),
  snapshot: null,
  commitCursor: null,
});

export interface AcceptorStep {
  /** Persist these first... */
  readonly writes: readonly AcceptorWrite[];
  /** ...then send this (null for one-way messages). */
  readonly reply: ToProposer | null;
}

export function applyWrite(state: AcceptorState, write: AcceptorWrite): void {
  switch (write.kind) {
    case "promise":
      state.promised = write.ballot;
      return;
    case "accept":
      state.accepted.set(write.slot, { ...write.value, chosen: false });
      return;
    case "chosen":
      for (const slot of write.slots) {
        const value = state.accepted.get(slot);
        if (value) state.accepted.set(slot, { ...value, chosen: true });
      }
      return;
    case "compact":
      for (const slot of state.accepted.keys()) if (slot <= write.snapshot.through) state.accepted.delete(slot);
      state.snapshot = write.snapshot;
      return;
  }
}

export function restoreAcceptor(writes: Iterable<AcceptorWrite>): AcceptorState {
  const state = emptyAcceptorState();
  for (const w of writes) applyWrite(state, w);
  return state;
}

export const compactedThrough = (state: AcceptorState): number => state.snapshot?.through ?? 0;

/** Chosen entries from `fromSlot`, in slot order, cut once they pass `maxBytes` (at least one). */
function chosenKnowledge(state: AcceptorState, fromSlot: number, maxBytes = DEFAULT_REPLY_BYTES): ChosenKnowledge {
  const snapshot = state.snapshot && state.snapshot.through >= fromSlot ? state.snapshot : null;
  const slots: number[] = [];
  for (const [slot, v] of state.accepted) if (v.chosen && slot >= fromSlot) slots.push(slot);
  slots.sort((a, b) => a - b);
  const entries: [number, Entry][] = [];
  let bytes = 0;
  for (const slot of slots) {
    const entry = state.accepted.get(slot)!.entry;
    bytes += JSON.stringify(entry).length;
    if (entries.length > 0 && bytes > maxBytes) return { snapshot, entries, next: slot };
    entries.push([slot, entry]);
  }
  return { snapshot, entries, next: null };
}

/**
 * Slots in (from, through] that this acceptor accepted at `ballot`: that ballot's proposer
 * learned them chosen, and a ballot proposes one value per slot, so these values are chosen.
 */
function chosenAt(state: AcceptorState, ballot: Ballot, from: number, through: number): number[] {
  const slots: number[] = [];
  for (let slot = Math.max(from, compactedThrough(state)) + 1; slot <= through; slot++) {
    const v = state.accepted.get(slot);
    if (v && !v.chosen && ballotEquals(v.ballot, ballot)) slots.push(slot);
  }
  return slots;
}

function markCommitted(state: AcceptorState, ballot: Ballot, through: number, write: (w: AcceptorWrite) => void) {
  const cursor = state.commitCursor;
  const from = cursor && ballotEquals(cursor.ballot, ballot) ? cursor.through : 0;
  if (through <= from) return;
  const slots = chosenAt(state, ballot, from, through);
  if (slots.length > 0) write({ kind: "chosen", slots });
  state.commitCursor = { ballot, through };
}

/** The acceptor's transition function. A reply must not leave before its writes are durable. */
export function stepAcceptor(state: AcceptorState, message: ToAcceptor): AcceptorStep {
  const writes: AcceptorWrite[] = [];
  const write = (w: AcceptorWrite) => {
    writes.push(w);
    applyWrite(state, w);
  };
  const done = (reply: ToProposer | null): AcceptorStep => ({ writes, reply });

  switch (message.type) {
    case "prepare": {
      const order = compareBallots(message.ballot, state.promised);
      if (order < 0) return done({ type: "nack", ballot: message.ballot, promised: state.promised });
      if (order > 0) write({ kind: "promise", ballot: message.ballot });
      const accepted: [number, AcceptedValue][] = [];
      for (const [slot, v] of state.accepted) {
        if (slot >= message.fromSlot) accepted.push([slot, { ballot: v.ballot, entry: v.entry }]);
      }
      accepted.sort((a, b) => a[0] - b[0]);
      return done({
        type: "promise",
        ballot: message.ballot,
        fromSlot: message.fromSlot,
        accepted,
        chosen: chosenKnowledge(state, message.fromSlot, message.maxBytes),
      });
    }
    case "accept": {
      const order = compareBallots(message.ballot, state.promised);
      if (order < 0) return done({ type: "nack", ballot: message.ballot, promised: state.promised });
      if (message.slot <= compactedThrough(state)) {
        // Already chosen and folded into the snapshot: the proposer is behind; bring it up to date.
        return done({ type: "learned", chosen: chosenKnowledge(state, message.slot) });
      }
      if (order > 0) write({ kind: "promise", ballot: message.ballot });
      write({ kind: "accept", slot: message.slot, value: { ballot: message.ballot, entry: message.entry } });
      // Chosen if this very message, or an earlier commit notice of the same ballot, covers it.
      const cursor = state.commitCursor;
      const committed = message.commitThrough >= message.slot || (cursor !== null && ballotEquals(cursor.ballot, message.ballot) && cursor.through >= message.slot);
      if (committed) write({ kind: "chosen", slots: [message.slot] });
      markCommitted(state, message.ballot, message.commitThrough, write);
      return done({ type: "accepted", ballot: message.ballot, slot: message.slot });
    }
    case "commit":
      markCommitted(state, message.ballot, message.through, write);
      return done(null);
    case "learn":
      return done({ type: "learned", chosen: chosenKnowledge(state, message.fromSlot, message.maxBytes) });
    case "compact":
      if (message.snapshot.through > compactedThrough(state)) write({ kind: "compact", snapshot: message.snapshot });
      return done(null);
  }
}
