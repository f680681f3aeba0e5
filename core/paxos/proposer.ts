import { type Ballot, ZERO_BALLOT, ballotEquals, compareBallots, maxBallot } from "./ballot.ts";
import {
  type ConfigHistory,
  type QuorumConfig,
  acceptorsFrom,
  configFor,
  configsFrom,
  initialHistory,
  latestConfig,
  validateConfig,
  withChange,
} from "./config.ts";
import {
  type AcceptedValue,
  type ChosenKnowledge,
  type Entry,
  type Envelope,
  type LogCommand,
  type Snapshot,
  type ToAcceptor,
  type ToProposer,
  DEFAULT_REPLY_BYTES,
  NOOP,
} from "./messages.ts";

export interface ProposerOptions {
  /** Unique per incarnation: a restarted commander must get a new id (see Ballot). */
  readonly id: string;
  /** The bootstrap acceptor configuration (epoch 1); its alpha is the shard's pipeline depth. */
  readonly initial: QuorumConfig;
  /** Most commands packed into one slot. */
  readonly maxBatch: number;
  /** Most bytes packed into one slot (by `sizeOf`); a single larger command still gets a slot of its own. */
  readonly maxBatchBytes?: number;
  /** The size a command counts for in `maxBatchBytes`; the JSON length by default. */
  readonly sizeOf?: (command: LogCommand) => number;
  /** Budget for the chosen entries in one acceptor reply; catch-up continues page by page. */
  readonly maxReplyBytes?: number;
  /**
   * Thrifty phase 2: send each slot's first accept only to a phase-2 quorum of its configuration,
   * the acceptors ranked fastest (the `rank` input), and widen to every acceptor of the
   * configuration on the retransmit timeout. Changes who is asked, never what counts as chosen,
   * so it is a local setting that commanders of one shard may disagree on. Off by default.
   */
  readonly thrifty?: boolean;
}

export const DEFAULT_MAX_BATCH = 512;
export const DEFAULT_MAX_BATCH_BYTES = 1 << 20;

export type ProposerInput =
  | { readonly type: "propose"; readonly commands: readonly LogCommand[] }
  /** Start Phase 1 with a ballot above every ballot seen so far. */
  | { readonly type: "campaign" }
  /** The shell's retransmission timer: resend what is unanswered, flush commit notices. */
  | { readonly type: "timeout" }
  /** Ask the acceptors for chosen entries (a follower catching up). */
  | { readonly type: "catch-up" }
  /**
   * The acceptors fastest first (the shell measures; the core has no clock). Thrifty phase 2
   * sends a slot's first accept to the first phase-2-quorum of its configuration in this order;
   * acceptors not named come after the named ones, in configuration order.
   */
  | { readonly type: "rank"; readonly acceptors: readonly string[] }
  /** Drop these commands if they are still queued (not yet in any slot): their callers gave up. */
  | { readonly type: "withdraw"; readonly ids: readonly string[] }
  /** The shell applied everything through `through`; let acceptors drop that prefix. */
  | { readonly type: "compact"; readonly through: number; readonly app: unknown }
  | { readonly type: "receive"; readonly from: string; readonly message: ToProposer };

export type ProposerEvent =
  | { readonly type: "elected"; readonly ballot: Ballot }
  /**
   * Leadership lost (or a campaign failed); `pending` were queued or in flight, maybe chosen.
   * `by` is the higher ballot that refused us; null when we stepped down because the log
   * showed our ballot stale (a different value chosen where we proposed, or a newer snapshot).
   */
  | { readonly type: "preempted"; readonly by: Ballot | null; readonly pending: readonly LogCommand[] }
  | { readonly type: "reconfigured"; readonly config: QuorumConfig; readonly fromSlot: number }
  /** These commands were still queued and are gone: nobody proposes them any more. */
  | { readonly type: "withdrawn"; readonly ids: readonly string[] };

export interface Committed {
  readonly slot: number;
  readonly entry: Entry;
}

/** What the shell must do after a step, in this order: restore, apply, send, report. */
export interface ProposerReady {
  /** Adopt this state before applying `committed` (the learner was behind a compaction). */
  readonly restored: Snapshot | null;
  /** Newly chosen entries, in slot order, gap-free. */
  readonly committed: readonly Committed[];
  readonly send: readonly Envelope<ToAcceptor>[];
  readonly events: readonly ProposerEvent[];
}

export type Role = "follower" | "candidate" | "leader";

interface PromiseSet {
  fromSlot: number;
  readonly accepted: Map<number, AcceptedValue>;
}

export interface InFlight {
  readonly entry: Entry;
  readonly config: QuorumConfig;
  readonly acks: Set<string>;
  /** Where the first accept went: the whole configuration, or with thrifty on a phase-2 quorum of it. */
  readonly targets: readonly string[];
  /** The retransmit timer found it unanswered and sent it to the rest of the configuration. */
  widened: boolean;
}

export const entryKey = (entry: Entry): string => JSON.stringify(entry.commands);

/**
 * Proposer and learner for one Multi-Paxos log: the pure core of a commander. It holds no
 * state that the acceptors cannot rebuild; `step` mutates it and returns what to do.
 */
export class Proposer {
  readonly id: string;
  private readonly alpha: number;
  private readonly maxBatch: number;
  private readonly maxBatchBytes: number;
  private readonly sizeOf: (command: LogCommand) => number;
  private readonly maxReplyBytes: number;
  readonly thrifty: boolean;

  /** Acceptor -> position in the last `rank` input (fastest first). */
  private rankOf = new Map<string, number>();
  private ranking_: readonly string[] = [];
  private widenedSlots_ = 0;

  private role_: Role = "follower";
  private ballot_: Ballot = ZERO_BALLOT;
  private highestSeen: Ballot = ZERO_BALLOT;
  private configs: ConfigHistory;
  private snapshot: Snapshot | null = null;
  private learnedThrough_ = 0;
  private readonly learnedAhead = new Map<number, Entry>();
  private queue: LogCommand[] = [];

  // Phase 1 at the current ballot.
  private readonly promises = new Map<string, PromiseSet>();
  private readonly askedEpochs = new Set<number>();
  private maxAcceptedSeen = 0;
  // Phase 2 at the current ballot.
  private nextSlot = 1;
  private readonly inflight = new Map<number, InFlight>();

  private out: { restored: Snapshot | null; committed: Committed[]; send: Envelope<ToAcceptor>[]; events: ProposerEvent[] } =
    Proposer.emptyOut();

  constructor(options: ProposerOptions) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) {
      throw new RangeError(`maxBatch must be an integer >= 1, got ${options.maxBatch}`);
    }
    this.id = options.id;
    this.configs = initialHistory(validateConfig(options.initial));
    this.alpha = options.initial.alpha;
    this.maxBatch = options.maxBatch;
    this.maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.sizeOf = options.sizeOf ?? ((command) => JSON.stringify(command).length);
    this.maxReplyBytes = options.maxReplyBytes ?? DEFAULT_REPLY_BYTES;
    this.thrifty = options.thrifty ?? false;
  }

  get role(): Role {
    return this.role_;
  }
  get ballot(): Ballot {
    return this.ballot_;
  }
  get learnedThrough(): number {
    return this.learnedThrough_;
  }
  get config(): QuorumConfig {
    return configFor(this.configs, this.learnedThrough_ + 1);
  }
  get latestConfig(): QuorumConfig {
    return latestConfig(this.configs);
  }
  /** Every configuration this learner knows of, oldest first (snapshots keep the whole history). */
  get history(): ConfigHistory {
    return this.configs;
  }
  /** The last `rank` input, fastest first. */
  get ranking(): readonly string[] {
    return this.ranking_;
  }
  /** Slots whose accept the retransmit timer sent beyond their thrifty quorum (since this proposer started). */
  get widenedSlots(): number {
    return this.widenedSlots_;
  }
  get queued(): number {
    return this.queue.length;
  }
  get inFlight(): number {
    return this.inflight.size;
  }
  /** The highest slot this proposer has assigned a value to (or learned). */
  get frontier(): number {
    return Math.max(this.nextSlot - 1, this.learnedThrough_);
  }

  step(input: ProposerInput): ProposerReady {
    this.out = Proposer.emptyOut();
    switch (input.type) {
      case "propose":
        this.queue.push(...input.commands);
        this.pump();
        break;
      case "campaign":
        this.campaign();
        break;
      case "timeout":
        this.retransmit();
        break;
      case "catch-up":
        this.broadcast(acceptorsFrom(this.configs, this.learnedThrough_ + 1), {
          type: "learn",
          fromSlot: this.learnedThrough_ + 1,
          maxBytes: this.maxReplyBytes,
        });
        break;
      case "rank":
        this.ranking_ = [...input.acceptors];
        this.rankOf = new Map(input.acceptors.map((a, i) => [a, i]));
        break;
      case "withdraw": {
        const ids = new Set(input.ids);
        const dropped = this.queue.filter((c) => ids.has(c.id)).map((c) => c.id);
        this.queue = this.queue.filter((c) => !ids.has(c.id));
        if (dropped.length > 0) this.out.events.push({ type: "withdrawn", ids: dropped });
        break;
      }
      case "compact":
        this.compact(input.through, input.app);
        break;
      case "receive":
        this.receive(input.from, input.message);
        break;
    }
    const ready = this.out;
    this.out = Proposer.emptyOut();
    return ready;
  }

  private static emptyOut() {
    return { restored: null, committed: [], send: [], events: [] };
  }

  private send(to: string, message: ToAcceptor) {
    this.out.send.push({ from: this.id, to, message });
  }

  private broadcast(to: Iterable<string>, message: ToAcceptor) {
    for (const a of to) this.send(a, message);
  }

  private campaign() {
    const round = Math.max(this.ballot_.round, this.highestSeen.round) + 1;
    this.ballot_ = { round, proposer: this.id };
    this.role_ = "candidate";
    // Our own in-flight values are re-discovered by Phase 1 if anyone accepted them; the
    // commands go back to the queue so none is silently dropped (appliers dedupe by id).
    for (const slot of [...this.inflight.keys()].sort((a, b) => a - b)) {
      this.queue.unshift(...this.inflight.get(slot)!.entry.commands);
    }
    this.inflight.clear();
    this.promises.clear();
    this.askedEpochs.clear();
    this.maxAcceptedSeen = 0;
    const fromSlot = this.learnedThrough_ + 1;
    for (const config of configsFrom(this.configs, fromSlot)) this.askedEpochs.add(config.epoch);
    this.broadcast(acceptorsFrom(this.configs, fromSlot), { type: "prepare", ballot: this.ballot_, fromSlot, maxBytes: this.maxReplyBytes });
  }

  private stepDown(by: Ballot | null) {
    const wasActive = this.role_ !== "follower";
    if (by) this.highestSeen = maxBallot(this.highestSeen, by);
    if (!wasActive) return;
    const pending: LogCommand[] = [];
    for (const slot of [...this.inflight.keys()].sort((a, b) => a - b)) pending.push(...this.inflight.get(slot)!.entry.commands);
    pending.push(...this.queue);
    this.queue = [];
    this.inflight.clear();
    this.promises.clear();
    this.role_ = "follower";
    this.out.events.push({ type: "preempted", by, pending });
  }

  private receive(from: string, message: ToProposer) {
    switch (message.type) {
      case "promise": {
        this.absorb(from, message.chosen);
        if (!ballotEquals(message.ballot, this.ballot_) || this.role_ === "follower") return;
        const set = this.promises.get(from);
        if (set) {
          set.fromSlot = Math.min(set.fromSlot, message.fromSlot);
          for (const [slot, v] of message.accepted) set.accepted.set(slot, v);
        } else {
          this.promises.set(from, { fromSlot: message.fromSlot, accepted: new Map(message.accepted) });
        }
        for (const [slot] of message.accepted) this.maxAcceptedSeen = Math.max(this.maxAcceptedSeen, slot);
        if (this.role_ === "candidate" && this.ensurePrepared(this.learnedThrough_ + 1)) {
          this.role_ = "leader";
          this.nextSlot = this.learnedThrough_ + 1;
          this.out.events.push({ type: "elected", ballot: this.ballot_ });
        }
        this.pump();
        return;
      }
      case "accepted": {
        if (this.role_ !== "leader" || !ballotEquals(message.ballot, this.ballot_)) return;
        const flight = this.inflight.get(message.slot);
        if (!flight || !flight.config.acceptors.includes(from)) return;
        flight.acks.add(from);
        if (this.phase2Reached(flight)) {
          this.inflight.delete(message.slot);
          this.learn(message.slot, flight.entry);
          this.pump();
        }
        return;
      }
      case "nack":
        if (ballotEquals(message.ballot, this.ballot_) && compareBallots(message.promised, this.ballot_) > 0) {
          this.stepDown(message.promised);
        } else {
          this.highestSeen = maxBallot(this.highestSeen, message.promised);
        }
        return;
      case "learned":
        this.absorb(from, message.chosen);
        this.pump();
        return;
    }
  }

  /** Take in proven-chosen knowledge from any single acceptor, asking it for the next page. */
  private absorb(from: string, chosen: ChosenKnowledge) {
    if (chosen.next !== null) this.send(from, { type: "learn", fromSlot: chosen.next, maxBytes: this.maxReplyBytes });
    const snap = chosen.snapshot;
    if (snap && snap.through > this.learnedThrough_) {
      // Someone compacted past us. If we still had our own values in flight there, our
      // ballot is stale: stop before we tell acceptors that those values were chosen.
      if ([...this.inflight.keys()].some((s) => s <= snap.through)) this.stepDown(null);
      this.snapshot = snap;
      this.configs = snap.configs;
      this.learnedThrough_ = snap.through;
      this.out.restored = snap;
      this.out.committed = [];
      for (const slot of [...this.learnedAhead.keys()]) if (slot <= snap.through) this.learnedAhead.delete(slot);
      this.drain();
    }
    for (const [slot, entry] of chosen.entries) this.learnFromElsewhere(slot, entry);
  }

  private learnFromElsewhere(slot: number, entry: Entry) {
    const flight = this.inflight.get(slot);
    if (flight) {
      this.inflight.delete(slot);
      // A different value chosen where we proposed means a higher ballot decided it.
      if (entryKey(flight.entry) !== entryKey(entry)) this.stepDown(null);
    }
    this.learn(slot, entry);
  }

  private learn(slot: number, entry: Entry) {
    if (slot <= this.learnedThrough_ || this.learnedAhead.has(slot)) return;
    this.learnedAhead.set(slot, entry);
    this.drain();
  }

  private drain() {
    for (let next = this.learnedThrough_ + 1; this.learnedAhead.has(next); next++) {
      const entry = this.learnedAhead.get(next)!;
      this.learnedAhead.delete(next);
      this.learnedThrough_ = next;
      this.applyMembership(next, entry);
      this.out.committed.push({ slot: next, entry });
    }
  }

  /** Membership changes take effect alpha slots after the slot that chose them. */
  private applyMembership(slot: number, entry: Entry) {
    for (const command of entry.commands) {
      if (command.kind !== "reconfigure") continue;
      const next = withChange(this.configs, slot, command.config);
      if (!next) continue;
      this.configs = next;
      this.out.events.push({ type: "reconfigured", config: command.config, fromSlot: next[next.length - 1]!.fromSlot });
    }
  }

  /** Whether Phase 1 at our ballot covers `slot`; if not, ask that slot's acceptors (once). */
  private ensurePrepared(slot: number): boolean {
    const config = configFor(this.configs, slot);
    let promised = 0;
    for (const a of config.acceptors) {
      const p = this.promises.get(a);
      if (p && p.fromSlot <= slot) promised++;
    }
    if (promised >= config.phase1Quorum) return true;
    if (!this.askedEpochs.has(config.epoch)) {
      this.askedEpochs.add(config.epoch);
      this.broadcast(config.acceptors, { type: "prepare", ballot: this.ballot_, fromSlot: slot, maxBytes: this.maxReplyBytes });
    }
    return false;
  }

  /** The value Phase 1 forces on `slot`: the highest-ballot value its quorum accepted. */
  private adopted(slot: number, config: QuorumConfig): Entry | null {
    let best: AcceptedValue | null = null;
    for (const a of config.acceptors) {
      const v = this.promises.get(a)?.accepted.get(slot);
      if (v && (!best || compareBallots(v.ballot, best.ballot) > 0)) best = v;
    }
    return best?.entry ?? null;
  }

  private takeBatch(): Entry | null {
    if (this.queue.length === 0) return null;
    let count = 0;
    let bytes = 0;
    while (count < this.queue.length && count < this.maxBatch) {
      bytes += this.sizeOf(this.queue[count]!);
      if (count > 0 && bytes > this.maxBatchBytes) break;
      count++;
    }
    return { commands: this.queue.splice(0, count) };
  }

  /** Open new slots while the pipeline has room. */
  private pump() {
    if (this.role_ !== "leader") return;
    while (this.inflight.size < this.alpha) {
      if (this.nextSlot <= this.learnedThrough_) this.nextSlot = this.learnedThrough_ + 1;
      const slot = this.nextSlot;
      if (slot > this.learnedThrough_ + this.alpha) return; // its configuration is not known yet
      if (this.learnedAhead.has(slot)) {
        this.nextSlot++;
        continue;
      }
      if (!this.ensurePrepared(slot)) return;
      const config = configFor(this.configs, slot);
      const entry = this.adopted(slot, config) ?? this.takeBatch() ?? (slot <= this.maxAcceptedSeen ? NOOP : null);
      if (!entry) return;
      const targets = this.firstTargets(config);
      this.inflight.set(slot, { entry, config, acks: new Set(), targets, widened: false });
      this.broadcast(targets, {
        type: "accept",
        ballot: this.ballot_,
        slot,
        entry,
        commitThrough: this.learnedThrough_,
      });
      this.nextSlot++;
    }
  }

  private retransmit() {
    if (this.role_ === "candidate") {
      const fromSlot = this.learnedThrough_ + 1;
      const missing = acceptorsFrom(this.configs, fromSlot).filter((a) => !this.promises.has(a));
      this.broadcast(missing, { type: "prepare", ballot: this.ballot_, fromSlot, maxBytes: this.maxReplyBytes });
      return;
    }
    if (this.role_ !== "leader") return;
    for (const [slot, flight] of this.inflight) {
      // Unanswered by the timeout: widen (thrifty) and resend to every acceptor that has not acked.
      const targets = this.retransmitTargets(flight);
      if (!flight.widened && targets.length > flight.targets.length) this.widenedSlots_++;
      flight.widened = true;
      const missing = targets.filter((a) => !flight.acks.has(a));
      this.broadcast(missing, { type: "accept", ballot: this.ballot_, slot, entry: flight.entry, commitThrough: this.learnedThrough_ });
    }
    this.askedEpochs.clear();
    this.broadcast(acceptorsFrom(this.configs, this.learnedThrough_ + 1), {
      type: "commit",
      ballot: this.ballot_,
      through: this.learnedThrough_,
    });
    this.pump();
  }

  /**
   * Where a slot's first accept goes: every acceptor of its configuration, or with thrifty on
   * the phase-2 quorum ranked fastest (unranked ones after ranked ones, in configuration order).
   * Only a choice of recipients: what counts as chosen is `phase2Reached`, whoever answered.
   */
  protected firstTargets(config: QuorumConfig): readonly string[] {
    if (!this.thrifty) return config.acceptors;
    const position = (a: string) => this.rankOf.get(a) ?? Number.MAX_SAFE_INTEGER;
    return config.acceptors
      .map((acceptor, index) => ({ acceptor, index }))
      .sort((x, y) => position(x.acceptor) - position(y.acceptor) || x.index - y.index)
      .slice(0, config.phase2Quorum)
      .map((x) => x.acceptor);
  }

  /** Where the retransmit timer sends an unanswered slot: every acceptor of its configuration (widening). */
  protected retransmitTargets(flight: InFlight): readonly string[] {
    return flight.config.acceptors;
  }

  /** A value is chosen once a phase-2 quorum of its slot's configuration accepted it at our ballot. */
  protected phase2Reached(flight: InFlight): boolean {
    return flight.acks.size >= flight.config.phase2Quorum;
  }

  private compact(through: number, app: unknown) {
    const floor = this.snapshot?.through ?? 0;
    if (through <= floor) return;
    if (through > this.learnedThrough_) {
      throw new RangeError(`cannot compact through slot ${through}: only ${this.learnedThrough_} are learned`);
    }
    const snapshot: Snapshot = { through, configs: this.configs.filter((c) => c.chosenAt <= through), app };
    this.snapshot = snapshot;
    this.broadcast(acceptorsFrom(this.configs, floor + 1), { type: "compact", snapshot });
  }
}
