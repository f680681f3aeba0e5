import { DeadlineQueue } from "./deadline-queue.ts";
import { jsonLogger } from "./log.ts";
import { Histogram, type HistogramSnapshot } from "./histogram.ts";
import {
  type Ballot,
  type Committed,
  DEFAULT_MAX_BATCH,
  DEFAULT_MAX_BATCH_BYTES,
  type Envelope,
  type LogCommand,
  Proposer,
  type ProposerEvent,
  type ProposerInput,
  type QuorumConfig,
  type Role,
  type ToAcceptor,
  type ToProposer,
  acceptorsFrom,
  configFingerprint,
  formatBallot,
  replaceAcceptor,
} from "../core/paxos/index.ts";
import { AcceptorChannel } from "./acceptor-channel.ts";
import { type AcceptorHealth, AcceptorHealthTracker } from "./acceptor-health.ts";
import { AppliedLog, type CommandSlot, DEFAULT_RETAIN_BYTES, type StateMachine, utf8Length } from "./applied-log.ts";
import { NotLeaderError, PaxflowError, errorCode } from "./errors.ts";
import { type Timers, realTimers, withTimeout } from "./timers.ts";
import type { AcceptorTransport } from "./transport.ts";

/** Snapshots up to this size are taken every COMPACT_EVERY slots; larger ones once the log since has grown as large. */
export const AMORTISE_SNAPSHOTS_ABOVE_BYTES = 256 * 1024;

/** Log bytes (the JSON of its commands) after which a snapshot is due even before COMPACT_EVERY slots: what each acceptor holds in memory meanwhile. */
export const COMPACT_BYTES = 2 * 1024 * 1024;

export interface CommanderOptions {
  /** Proposer id, unique per incarnation (a restarted commander must never reuse a ballot). */
  readonly id: string;
  /** The bootstrap configuration; its alpha is the pipeline depth. */
  readonly initial: QuorumConfig;
  readonly transport: AcceptorTransport;
  readonly maxBatch?: number;
  readonly timers?: Timers;
  /** Retransmit period while anything is pending. */
  readonly retryMs?: number;
  /** Give up on one acceptor call after this long (the retransmit timer tries again). */
  readonly callTimeoutMs?: number;
  /** A campaign that has not won within this long fails with NotLeaderError. */
  readonly campaignTimeoutMs?: number;
  /** A submit not committed within this long rejects; the command may still commit later. */
  readonly commitTimeoutMs?: number;
  /** Compact every this many applied slots (0: never). */
  readonly compactEvery?: number;
  /** How many recent command ids are remembered for dedupe. */
  readonly dedupeWindow?: number;
  /** How many applied entries are kept in memory for `read`. */
  readonly retainEntries?: number;
  /** About how many bytes of applied entries are kept in memory for `read`. */
  readonly retainBytes?: number;
  /**
   * Largest command accepted by `submit`, as the UTF-8 length of its JSON. Larger ones fail at
   * once with "command-too-large": storage rejects oversized values, and an acceptor that can
   * never persist a slot would stall the shard.
   */
  readonly maxCommandBytes?: number;
  /** Most bytes of commands packed into one slot (passed to the Proposer); >= maxCommandBytes. */
  readonly maxBatchBytes?: number;
  /** Most commands queued or in flight at once; further submits fail fast with "overloaded". */
  readonly maxPending?: number;
  /** The application state the log drives (jobs); applied on every commander. */
  readonly machine?: StateMachine;
  /** Called each time this commander wins an election. */
  readonly onElected?: () => void;
  /**
   * Thrifty phase 2 (THRIFTY=1): each accept goes first to the phase-2 quorum of acceptors that
   * have been answering fastest, and to the rest of the configuration on the retransmit timeout.
   */
  readonly thrifty?: boolean;
  /**
   * As leader, replace an acceptor of the newest configuration whose every call failed for this
   * long (AUTO_REPLACE_AFTER_MS) by a fresh one, through a membership change in the log. 0: never.
   */
  readonly autoReplaceAfterMs?: number;
  /**
   * How long after proposing a command that was chosen this commander serves a read from its own
   * state as leader (lead({ confirm: true })); past it, a read first has a no-op chosen, which a
   * deposed leader cannot. Keep it well under the acceptors' LEASE_MS, which stops another
   * commander from being elected that long after they heard from this one. 0 (the default):
   * every such read confirms.
   */
  readonly readLeaseMs?: number;
  /**
   * The name of the acceptor that replaces `dead`; `known` holds every acceptor of every known
   * configuration (and every name tried before), which it must avoid. Default: nextAcceptorName.
   */
  readonly freshAcceptor?: (dead: string, known: ReadonlySet<string>) => string;
}

export const COMMANDER_DEFAULTS = {
  maxBatch: DEFAULT_MAX_BATCH,
  retryMs: 50,
  callTimeoutMs: 2_000,
  campaignTimeoutMs: 3_000,
  commitTimeoutMs: 10_000,
  compactEvery: 1_024,
  dedupeWindow: 4_096,
  retainEntries: 1_000,
  retainBytes: DEFAULT_RETAIN_BYTES,
  maxCommandBytes: 64 * 1024,
  maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
  maxPending: 10_000,
  thrifty: false,
  autoReplaceAfterMs: 0,
  readLeaseMs: 0,
} as const;

/**
 * The next unused name in `dead`'s series: "shard-0/acceptor-1" with acceptors 0..3 known gives
 * "shard-0/acceptor-4" (one past the highest number known, so no name is ever reused).
 */
export function nextAcceptorName(dead: string, known: Iterable<string>): string {
  const prefix = /^(.*?)\d+$/.exec(dead)?.[1] ?? `${dead}-`;
  let highest = -1;
  for (const name of known) {
    const rest = name.startsWith(prefix) ? name.slice(prefix.length) : "";
    if (/^\d+$/.test(rest)) highest = Math.max(highest, Number(rest));
  }
  return `${prefix}${highest + 1}`;
}

/** One replacement the leader made on its own (see CommanderOptions.autoReplaceAfterMs). */
export interface AutoReplacement {
  readonly dead: string;
  readonly fresh: string;
  /** When it was proposed (epoch ms). */
  readonly at: number;
  /** How long every call to `dead` had failed by then, and the last error. */
  readonly failingForMs: number;
  readonly lastError: string | null;
  /** "proposed" while the change is in flight (at most one is). */
  readonly outcome: "proposed" | "done" | "failed";
  /** Where the change was chosen and the first slot the new configuration decides. */
  readonly slot: number | null;
  readonly fromSlot: number | null;
  readonly error: string | null;
}

export interface AutoReplaceStatus {
  /** AUTO_REPLACE_AFTER_MS; 0: off. */
  readonly afterMs: number;
  /** Why an acceptor that is dead by the detector is not being replaced now, or null. */
  readonly blocked: string | null;
  /** Oldest first, the last 16. */
  readonly replacements: readonly AutoReplacement[];
}

/** How many auto-replacements status() remembers. */
const REPLACEMENTS_KEPT = 16;

/** The size a command counts for in maxCommandBytes and maxBatchBytes: the UTF-8 length of its JSON. */
export const commandBytes = (command: LogCommand): number => utf8Length(JSON.stringify(command));

export interface SubmitCommand {
  readonly id: string;
  readonly data: unknown;
}

export interface Reconfigured {
  readonly slot: number;
  readonly config: QuorumConfig;
  /** First slot the new configuration decides. */
  readonly fromSlot: number;
}

export interface CommanderStatus {
  readonly id: string;
  readonly role: Role;
  readonly ballot: Ballot;
  readonly learnedThrough: number;
  readonly appliedThrough: number;
  readonly appliedCommands: number;
  readonly digest: string;
  /** The configuration deciding the next slot. */
  readonly config: QuorumConfig;
  /** The newest configuration chosen (may take effect up to alpha slots later). */
  readonly latestConfig: QuorumConfig;
  readonly queued: number;
  readonly inFlight: number;
  /** Commands handed to the proposer and not yet applied (queued or in a slot): counts toward maxPending. */
  readonly pending: number;
  /** Why this commander can never work (an acceptor refused its bootstrap configuration), or null. */
  readonly misconfigured: string | null;
  readonly acceptors: readonly AcceptorHealth[];
  /** Thrifty phase 2: on or off, the acceptor order it uses (fastest first), slots it had to widen. */
  readonly thrifty: { readonly enabled: boolean; readonly ranking: readonly string[]; readonly widenedSlots: number };
  readonly autoReplace: AutoReplaceStatus;
  /** This incarnation's submits, from the call to the commands being applied (ms). */
  readonly commitLatencyMs: HistogramSnapshot;
  /** Times this incarnation was elected leader. */
  readonly elections: number;
}

interface Waiter {
  resolve(slot: number): void;
  reject(error: Error): void;
}

interface Campaign {
  readonly promise: Promise<void>;
  readonly settle: (error: Error | null) => void;
  /** Acceptors that refused us because another commander holds their lease. */
  readonly leaseRefusals: Set<string>;
}

/**
 * The async shell around one Proposer: it pumps the proposer's output to the acceptors,
 * feeds their replies back, retransmits on a timer, applies what is chosen, and turns all of
 * that into promises for callers. Shared by the Commander Durable Object and Node tests.
 */
export class CommanderDriver {
  private readonly proposer: Proposer;
  private readonly transport: AcceptorTransport;
  private readonly timers: Timers;
  /** Every waiting command's COMMIT_TIMEOUT_MS, on one timer (deadline-queue.ts). */
  private readonly commitDeadlines: DeadlineQueue;
  private readonly settings: Omit<Required<CommanderOptions>, "id" | "initial" | "transport" | "timers" | "machine" | "onElected" | "freshAcceptor">;
  private readonly onElected: () => void;
  private readonly commitLatency = new Histogram();
  private elections = 0;
  private readonly applied: AppliedLog;

  private readonly channels = new Map<string, AcceptorChannel>();
  private readonly health = new Map<string, AcceptorHealthTracker>();
  /** Callers of lead() waiting for the log to be applied through a slot. */
  private readonly barriers = new Set<{ readonly target: number; resolve(): void; reject(error: Error): void }>();
  /** Callers waiting for a command id to be applied. */
  private readonly waiters = new Map<string, Waiter[]>();
  /** Ids handed to the proposer and not yet applied or given back. */
  private readonly proposed = new Set<string>();
  /** Commands from this tick's submits, proposed together so they can share a slot. */
  private batch: LogCommand[] = [];
  private campaign: Campaign | null = null;
  private retryTimer: unknown = null;
  /** When the armed retry timer fires (a probe-only timer may be re-armed sooner). */
  private retryDueAt = 0;
  /** The last commit notice has not reached the acceptors yet (it rides on the next timeout). */
  private commitNoticeDue = false;
  private lastCompactedThrough = 0;
  /** When this commander last proposed a command that was then chosen (lead({ confirm: true })). */
  private confirmedAt = -Infinity;
  private confirmations = 0;
  /** The size of the last snapshot this commander took, and the bytes it had applied then (maybeCompact). */
  private lastSnapshotBytes = 0;
  private bytesAtCompaction = 0;
  private closed = false;
  /** The fingerprint of our bootstrap configuration, sent with every acceptor batch. */
  private readonly cluster: string;
  /** Set once an acceptor refused our bootstrap configuration: every call fails with it. */
  private fatal: Error | null = null;
  /** Sizes of the commands we proposed, measured once at submit. */
  private readonly sizes = new WeakMap<LogCommand, number>();
  private readonly bootstrap: QuorumConfig;
  private readonly freshAcceptor: (dead: string, known: ReadonlySet<string>) => string;
  /** The ranking last handed to the proposer, joined: a new one is sent only when it changes. */
  private lastRanking = "";
  /** Auto-replacements, oldest first; the one in flight (at most one) is `replacing`. */
  private readonly replacements: AutoReplacement[] = [];
  private replacing: AutoReplacement | null = null;
  /** Every name ever proposed as a replacement by this commander: never proposed twice. */
  private readonly triedNames = new Set<string>();
  private replaceBlocked: string | null = null;
  /** After a failed attempt, the next one waits for a full window. */
  private nextReplaceAt = 0;

  constructor(options: CommanderOptions) {
    const { id: _id, initial: _initial, transport: _transport, timers: _timers, machine, onElected, freshAcceptor, ...tunables } = options;
    this.onElected = onElected ?? (() => undefined);
    const given = Object.fromEntries(Object.entries(tunables).filter(([, value]) => value !== undefined));
    this.settings = { ...COMMANDER_DEFAULTS, ...given };
    const { maxCommandBytes, maxBatchBytes, maxPending } = this.settings;
    if (!Number.isInteger(maxCommandBytes) || maxCommandBytes < 1) throw new RangeError(`maxCommandBytes must be an integer >= 1, got ${maxCommandBytes}`);
    if (!Number.isInteger(maxBatchBytes) || maxBatchBytes < maxCommandBytes) {
      throw new RangeError(`maxBatchBytes (${maxBatchBytes}) must be an integer >= maxCommandBytes (${maxCommandBytes})`);
    }
    if (!Number.isInteger(maxPending) || maxPending < 1) throw new RangeError(`maxPending must be an integer >= 1, got ${maxPending}`);
    const { autoReplaceAfterMs } = this.settings;
    if (!Number.isFinite(autoReplaceAfterMs) || autoReplaceAfterMs < 0) {
      throw new RangeError(`autoReplaceAfterMs must be >= 0 (0: never), got ${autoReplaceAfterMs}`);
    }
    this.proposer = new Proposer({
      id: options.id,
      initial: options.initial,
      maxBatch: this.settings.maxBatch,
      maxBatchBytes,
      sizeOf: (command) => this.sizeOf(command),
      thrifty: this.settings.thrifty,
    });
    this.bootstrap = options.initial;
    this.freshAcceptor = freshAcceptor ?? nextAcceptorName;
    this.cluster = configFingerprint(options.initial);
    this.transport = options.transport;
    this.timers = options.timers ?? realTimers;
    this.commitDeadlines = new DeadlineQueue(this.timers, this.settings.commitTimeoutMs);
    this.applied = new AppliedLog(this.settings.dedupeWindow, this.settings.retainEntries, this.settings.retainBytes, machine ?? null);
  }

  get id(): string {
    return this.proposer.id;
  }

  /**
   * Resolves with the slot of each command once it is applied. A command id that was already
   * applied resolves with its original slot and is not proposed again.
   */
  async submit(commands: readonly SubmitCommand[]): Promise<CommandSlot[]> {
    for (const c of commands) {
      if (typeof c.id !== "string" || c.id === "") throw new TypeError("every command needs a non-empty string id");
    }
    const log: LogCommand[] = commands.map((c) => ({ kind: "app", id: c.id, data: c.data }));
    for (const command of log) {
      const bytes = this.sizeOf(command);
      if (bytes > this.settings.maxCommandBytes) {
        throw new PaxflowError(
          "command-too-large",
          `command ${command.id} is ${bytes} bytes encoded, over the limit of ${this.settings.maxCommandBytes} bytes (MAX_COMMAND_BYTES); ` +
            "it was not proposed, and retrying it unchanged cannot succeed",
        );
      }
    }
    const started = this.timers.now();
    const slots = await this.commit(log);
    this.commitLatency.observe(this.timers.now() - started);
    return slots;
  }

  get role(): Role {
    return this.proposer.role;
  }

  private get log() {
    return jsonLogger({ commander: this.id });
  }

  /**
   * Resolves once this commander leads its shard (campaigning if it does not) and has applied
   * every slot it knows to be taken, so its state is at least as new as any earlier leader's.
   */
  async lead(options: { readonly confirm?: boolean } = {}): Promise<void> {
    this.assertOpen();
    await this.ensureLeader();
    // A leader idle past its read lease may have been deposed without hearing of it (another
    // commander was elected once the acceptors' lease lapsed): a read it answered from its own
    // state could miss what the new leader chose. Having a no-op chosen proves it still leads.
    if (options.confirm && this.timers.now() - this.confirmedAt >= this.settings.readLeaseMs) {
      await this.commit([{ kind: "app", id: `confirm/${this.id}/${++this.confirmations}`, data: null }]);
    }
    const target = this.proposer.frontier;
    if (this.applied.appliedThrough >= target) return;
    await new Promise<void>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.barriers.delete(barrier);
        reject(new PaxflowError("commit-timeout", `commander ${this.id} could not apply the log through slot ${target} within ${this.settings.commitTimeoutMs} ms`));
      }, this.settings.commitTimeoutMs);
      const barrier = { target, resolve: () => (this.timers.clearTimeout(timer), resolve()), reject: (e: Error) => (this.timers.clearTimeout(timer), reject(e)) };
      this.barriers.add(barrier);
    });
  }

  /** Proposes replacing `dead` by `fresh` in the newest configuration this commander knows. */
  async reconfigure(dead: string, fresh: string): Promise<Reconfigured> {
    await this.ensureLeader();
    const config = replaceAcceptor(this.proposer.latestConfig, dead, fresh);
    const [done] = await this.commit([{ kind: "reconfigure", id: `reconfigure/${config.epoch}/${dead}->${fresh}`, config }]);
    const latest = this.proposer.latestConfig;
    if (latest.epoch !== config.epoch || latest.acceptors.join() !== config.acceptors.join()) {
      throw new PaxflowError(
        "reconfiguration-superseded",
        `reconfiguration to epoch ${config.epoch} was superseded by another change; current acceptors: ${latest.acceptors.join(", ")}`,
      );
    }
    return { slot: done!.slot, config, fromSlot: done!.slot + config.alpha };
  }

  /** Asks the acceptors for chosen entries; resolves once every asked acceptor answered or failed. */
  async catchUp(): Promise<{ learnedThrough: number }> {
    this.assertOpen();
    await this.step({ type: "catch-up" });
    this.assertOpen(); // an acceptor may have refused our configuration meanwhile
    return { learnedThrough: this.proposer.learnedThrough };
  }

  /** Applied entries still held in memory, from `fromSlot`, at most `limit`. */
  read(fromSlot: number, limit: number): Committed[] {
    return this.applied.read(fromSlot, limit);
  }

  status(): CommanderStatus {
    const config = this.proposer.config;
    const latestConfig = this.proposer.latestConfig;
    const acceptors = [...new Set([...config.acceptors, ...latestConfig.acceptors])];
    const state = this.applied.state();
    return {
      id: this.proposer.id,
      role: this.proposer.role,
      ballot: this.proposer.ballot,
      learnedThrough: this.proposer.learnedThrough,
      appliedThrough: this.applied.appliedThrough,
      appliedCommands: state.appliedCommands,
      digest: state.digest,
      config,
      latestConfig,
      queued: this.proposer.queued + this.batch.length,
      inFlight: this.proposer.inFlight,
      pending: this.proposed.size,
      misconfigured: this.fatal?.message ?? null,
      acceptors: acceptors.map((a) => this.healthOf(a).view()),
      thrifty: { enabled: this.proposer.thrifty, ranking: this.proposer.ranking, widenedSlots: this.proposer.widenedSlots },
      autoReplace: {
        afterMs: this.settings.autoReplaceAfterMs,
        blocked: this.replaceBlocked,
        replacements: this.replacements.map((r) => ({ ...r })),
      },
      commitLatencyMs: this.commitLatency.snapshot(),
      elections: this.elections,
    };
  }

  /** Most commands it holds queued or in flight at once (MAX_PENDING): a caller splits larger work. */
  get maxPending(): number {
    return this.settings.maxPending;
  }

  /** Stops timers and fails every waiting caller: this incarnation is gone. */
  close(): void {
    this.closed = true;
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.commitDeadlines.clear();
    const error = new PaxflowError("commander-closed", `commander ${this.id} shut down`);
    this.campaign?.settle(error);
    for (const id of [...this.waiters.keys()]) this.rejectWaiters(id, error);
    this.rejectBarriers(error);
  }

  private rejectBarriers(error: Error): void {
    for (const b of this.barriers) b.reject(error);
    this.barriers.clear();
  }

  private async commit(commands: LogCommand[]): Promise<CommandSlot[]> {
    this.assertOpen();
    if (commands.every((c) => this.applied.slotOf(c.id) !== undefined)) {
      return commands.map((c) => ({ id: c.id, slot: this.applied.slotOf(c.id)! }));
    }
    await this.ensureLeader();
    this.assertOpen(); // closed while we waited: nobody would ever answer these
    // Checked after the await, right before the ids join `proposed`, so concurrent submits cannot overshoot.
    const fresh = new Set(commands.filter((c) => this.applied.slotOf(c.id) === undefined && !this.proposed.has(c.id)).map((c) => c.id));
    if (fresh.size > this.settings.maxPending) {
      // No wait frees room for this: say so, rather than "retry later".
      throw new PaxflowError(
        "invalid-argument",
        `one submit of ${fresh.size} commands is more than commander ${this.id} ever holds at once (MAX_PENDING is ${this.settings.maxPending}): ` +
          "submit them in smaller parts; retrying as it is cannot succeed",
      );
    }
    if (this.proposed.size + fresh.size > this.settings.maxPending) {
      throw new PaxflowError(
        "overloaded",
        `commander ${this.id} has ${this.proposed.size} commands queued or in flight (MAX_PENDING is ${this.settings.maxPending}); ` +
          "nothing was proposed, retry later",
      );
    }
    const sentAt = this.timers.now();
    const slots = await Promise.all(commands.map((c) => this.awaitApplied(c)));
    // A command of ours was chosen: a quorum took this commander's ballot after sentAt.
    if (fresh.size > 0) this.confirmedAt = Math.max(this.confirmedAt, sentAt);
    return slots;
  }

  private awaitApplied(command: LogCommand): Promise<CommandSlot> {
    const known = this.applied.slotOf(command.id);
    if (known !== undefined) return Promise.resolve({ id: command.id, slot: known });
    return new Promise<CommandSlot>((resolve, reject) => {
      const cancel = this.commitDeadlines.add(() => {
        remove();
        if (!this.waiters.has(command.id)) this.withdraw(command);
        reject(
          new PaxflowError(
            "commit-timeout",
            `command ${command.id} not committed within ${this.settings.commitTimeoutMs} ms ` +
              "(no phase-2 quorum answered); it may still commit later, retry with the same id",
          ),
        );
      });
      const waiter: Waiter = {
        resolve: (slot) => {
          cancel();
          resolve({ id: command.id, slot });
        },
        reject: (error) => {
          cancel();
          reject(error);
        },
      };
      const remove = () => {
        const list = this.waiters.get(command.id)?.filter((w) => w !== waiter) ?? [];
        if (list.length > 0) this.waiters.set(command.id, list);
        else this.waiters.delete(command.id);
      };
      this.waiters.set(command.id, [...(this.waiters.get(command.id) ?? []), waiter]);
      if (!this.proposed.has(command.id)) {
        this.proposed.add(command.id);
        this.enqueue(command);
      }
    });
  }

  /**
   * Nobody waits for this command any more: if it has not left for the acceptors yet, drop it,
   * so commands whose callers gave up do not pile up behind an unavailable quorum. A command
   * already in a slot stays (it may be chosen; its id keeps a retry from applying it twice).
   */
  private withdraw(command: LogCommand): void {
    const inBatch = this.batch.indexOf(command);
    if (inBatch >= 0) {
      this.batch.splice(inBatch, 1);
      this.proposed.delete(command.id);
      return;
    }
    void this.step({ type: "withdraw", ids: [command.id] });
  }

  private sizeOf(command: LogCommand): number {
    let size = this.sizes.get(command);
    if (size === undefined) {
      size = commandBytes(command);
      this.sizes.set(command, size);
    }
    return size;
  }

  private enqueue(command: LogCommand): void {
    if (this.batch.length === 0) queueMicrotask(() => this.proposeBatch());
    this.batch.push(command);
  }

  private proposeBatch(): void {
    const commands = this.batch;
    this.batch = [];
    if (this.closed || commands.length === 0) return;
    if (this.proposer.role !== "leader") {
      this.giveBack(commands, new NotLeaderError(`commander ${this.id} lost leadership before proposing`));
      return;
    }
    void this.step({ type: "propose", commands });
  }

  private ensureLeader(): Promise<void> {
    if (this.proposer.role === "leader") return Promise.resolve();
    if (this.campaign) return this.campaign.promise;
    let settle!: (error: Error | null) => void;
    const promise = new Promise<void>((resolve, reject) => {
      const timer = this.timers.setTimeout(
        () =>
          settle(
            new NotLeaderError(
              `commander ${this.id} was not elected within ${this.settings.campaignTimeoutMs} ms (no phase-1 quorum answered)`,
            ),
          ),
        this.settings.campaignTimeoutMs,
      );
      settle = (error) => {
        if (this.campaign?.promise !== promise) return;
        this.campaign = null;
        this.timers.clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
    });
    this.campaign = { promise, settle, leaseRefusals: new Set() };
    void this.step({ type: "campaign" });
    return promise;
  }

  /** One proposer step and everything it asks for. Resolves when its sends have settled. */
  private step(input: ProposerInput): Promise<void> {
    if (this.closed || this.fatal) return Promise.resolve();
    const ready = this.proposer.step(input);
    if (ready.restored) {
      for (const { id, slot } of this.applied.restore(ready.restored)) this.resolveWaiters(id, slot);
    }
    for (const committed of ready.committed) {
      for (const { id, slot } of this.applied.apply(committed)) this.resolveWaiters(id, slot);
      if (this.proposer.role === "leader") this.commitNoticeDue = true;
    }
    if (ready.committed.length > 0) {
      for (const b of this.barriers) if (this.applied.appliedThrough >= b.target) (this.barriers.delete(b), b.resolve());
    }
    const sent = this.dispatch(ready.send);
    for (const event of ready.events) this.onEvent(event);
    this.maybeCompact();
    this.armRetryTimer();
    return sent;
  }

  private onEvent(event: ProposerEvent): void {
    switch (event.type) {
      case "elected":
        this.campaign?.settle(null);
        this.elections++;
        this.onElected();
        return;
      case "preempted": {
        const error = new NotLeaderError(
          `commander ${this.id} ${event.by ? `was preempted by ballot ${formatBallot(event.by)}` : "found its ballot stale"}; ` +
            "pending commands may still be chosen, retry with the same id",
          event.by?.proposer || null,
        );
        this.campaign?.settle(error);
        this.giveBack(event.pending, error);
        return;
      }
      case "withdrawn":
        for (const id of event.ids) this.proposed.delete(id);
        return;
      case "reconfigured":
        return;
    }
  }

  /** The proposer no longer holds these commands: fail their callers so they can retry elsewhere. */
  private giveBack(commands: readonly LogCommand[], error: Error): void {
    for (const command of commands) {
      this.proposed.delete(command.id);
      this.rejectWaiters(command.id, error);
    }
  }

  private dispatch(send: readonly Envelope<ToAcceptor>[]): Promise<void> {
    const byAcceptor = new Map<string, ToAcceptor[]>();
    for (const { to, message } of send) {
      const messages = byAcceptor.get(to);
      if (messages) messages.push(message);
      else byAcceptor.set(to, [message]);
    }
    return Promise.all([...byAcceptor].map(([to, messages]) => this.channelTo(to).send(messages))).then(() => undefined);
  }

  private channelTo(acceptor: string): AcceptorChannel {
    let channel = this.channels.get(acceptor);
    if (!channel) {
      channel = new AcceptorChannel((batch) => this.callAcceptor(acceptor, batch));
      this.channels.set(acceptor, channel);
    }
    return channel;
  }

  private async callAcceptor(acceptor: string, batch: ToAcceptor[]): Promise<void> {
    const started = this.timers.now();
    let replies: (ToProposer | null)[];
    try {
      replies = await withTimeout(
        this.transport.call(acceptor, batch, this.cluster),
        this.settings.callTimeoutMs,
        this.timers,
        () => new PaxflowError("call-timeout", `acceptor ${acceptor} did not answer within ${this.settings.callTimeoutMs} ms`),
      );
    } catch (error) {
      // Nothing to undo: whatever is still unanswered goes out again on the retransmit timer.
      this.healthOf(acceptor).failed(this.timers.now(), error);
      const code = errorCode(error);
      if (code === "lease-held") this.onLeaseRefusal(acceptor, error as Error);
      if (code === "cluster-mismatch") this.failForGood(error instanceof Error ? error : new Error(String(error)));
      this.rerank();
      this.maybeAutoReplace();
      this.armRetryTimer();
      return;
    }
    this.healthOf(acceptor).succeeded(this.timers.now(), this.timers.now() - started);
    this.rerank();
    for (const message of replies) if (message) void this.step({ type: "receive", from: acceptor, message });
  }

  /**
   * Thrifty phase 2 needs the acceptors fastest first: answering ones by smoothed latency, then
   * those not heard from yet, then failing ones; ties keep configuration order. The proposer gets
   * a new ranking only when the order changes.
   */
  private rerank(): void {
    if (!this.proposer.thrifty || this.closed || this.fatal) return;
    const candidates = acceptorsFrom(this.proposer.history, this.proposer.learnedThrough + 1);
    const key = (a: string): [number, number] => {
      const h = this.health.get(a);
      if (!h) return [1, 0];
      if (h.failing) return [2, h.failingForMs()];
      const latency = h.latency;
      return latency === null ? [1, 0] : [0, latency];
    };
    const keys = new Map(candidates.map((a) => [a, key(a)]));
    const order = candidates
      .map((acceptor, index) => ({ acceptor, index }))
      .sort((x, y) => {
        const [kx, ky] = [keys.get(x.acceptor)!, keys.get(y.acceptor)!];
        return kx[0] - ky[0] || kx[1] - ky[1] || x.index - y.index;
      })
      .map((x) => x.acceptor);
    const joined = order.join("\n");
    if (joined === this.lastRanking) return;
    this.lastRanking = joined;
    void this.step({ type: "rank", acceptors: order });
  }

  /**
   * As leader, replace an acceptor of the newest configuration that the detector declares dead
   * (every call failed for autoReplaceAfterMs) by a fresh one, through the log: at most one
   * change in flight, never one that would leave no quorum, never the last bootstrap acceptor.
   */
  private maybeAutoReplace(): void {
    const windowMs = this.settings.autoReplaceAfterMs;
    if (windowMs <= 0 || this.closed || this.fatal || this.replacing || this.proposer.role !== "leader") return;
    const now = this.timers.now();
    if (now < this.nextReplaceAt) return;
    const latest = this.proposer.latestConfig;
    const dead = latest.acceptors
      .filter((a) => this.healthOf(a).deadFor(windowMs))
      .sort((a, b) => this.healthOf(b).failingForMs() - this.healthOf(a).failingForMs())[0];
    if (dead === undefined) {
      this.replaceBlocked = null;
      return;
    }
    const blocked = this.whyNotReplace(dead);
    if (blocked !== null) {
      if (blocked !== this.replaceBlocked) this.log.warn("not replacing a dead acceptor", { acceptor: dead, reason: blocked });
      this.replaceBlocked = blocked;
      return;
    }
    this.replaceBlocked = null;
    const known = new Set([...this.proposer.history.flatMap((c) => c.config.acceptors), ...this.triedNames]);
    const fresh = this.freshAcceptor(dead, known);
    if (known.has(fresh)) {
      this.replaceBlocked = `the replacement name ${fresh} is already known`;
      return;
    }
    this.triedNames.add(fresh);
    const health = this.healthOf(dead).view();
    const record: { -readonly [K in keyof AutoReplacement]: AutoReplacement[K] } = {
      dead,
      fresh,
      at: now,
      failingForMs: this.healthOf(dead).failingForMs(),
      lastError: health.lastError,
      outcome: "proposed",
      slot: null,
      fromSlot: null,
      error: null,
    };
    this.replacements.push(record);
    if (this.replacements.length > REPLACEMENTS_KEPT) this.replacements.shift();
    this.replacing = record;
    this.log.warn("replacing a dead acceptor", { acceptor: dead, by: fresh, epoch: latest.epoch + 1, failingForMs: record.failingForMs, lastError: health.lastError ?? null });
    this.reconfigure(dead, fresh).then(
      (done) => {
        record.outcome = "done";
        record.slot = done.slot;
        record.fromSlot = done.fromSlot;
        this.log.warn("acceptor replaced", { acceptor: dead, by: fresh, slot: done.slot, fromSlot: done.fromSlot });
      },
      (error: unknown) => {
        record.outcome = "failed";
        record.error = error instanceof Error ? error.message : String(error);
        this.nextReplaceAt = this.timers.now() + windowMs;
        if (!this.closed) this.log.warn("replacing an acceptor failed", { acceptor: dead, by: fresh, reason: record.error });
      },
    ).finally(() => {
      this.replacing = null;
      this.armRetryTimer();
    });
  }

  /** Why replacing `dead` now would be wrong, or null when it is fine. */
  private whyNotReplace(dead: string): string | null {
    const answering = (config: QuorumConfig) => config.acceptors.filter((a) => a !== dead && !this.healthOf(a).failing).length;
    // The change is chosen by the configuration that decides the next slots...
    const current = this.proposer.config;
    if (answering(current) < current.phase2Quorum) {
      return `only ${answering(current)} other acceptors of epoch ${current.epoch} answer, fewer than the phase-2 quorum (${current.phase2Quorum}) that must choose the change`;
    }
    // ...and the new one (the fresh acceptor counted as answering) must still have both quorums.
    const latest = this.proposer.latestConfig;
    const needed = Math.max(latest.phase1Quorum, latest.phase2Quorum);
    if (answering(latest) + 1 < needed) {
      return `the new configuration would have ${answering(latest) + 1} answering acceptors, fewer than its quorums need (${needed})`;
    }
    const bootstrapLeft = latest.acceptors.filter((a) => this.bootstrap.acceptors.includes(a));
    if (bootstrapLeft.length === 1 && bootstrapLeft[0] === dead) {
      return `${dead} is the last bootstrap acceptor left, which a commander without memory catches up from`;
    }
    return null;
  }

  /** Auto-replace is on, we lead, nothing is being replaced, and an acceptor of the newest configuration is failing. */
  private suspectPending(): boolean {
    if (this.settings.autoReplaceAfterMs <= 0 || this.replacing || this.proposer.role !== "leader") return false;
    return this.proposer.latestConfig.acceptors.some((a) => this.healthOf(a).failing);
  }

  /** Fail the campaign as soon as lease refusals leave no phase-1 quorum possible. */
  private onLeaseRefusal(acceptor: string, error: Error): void {
    const campaign = this.campaign;
    if (!campaign || this.proposer.role !== "candidate") return;
    campaign.leaseRefusals.add(acceptor);
    const { acceptors, phase1Quorum } = this.proposer.config;
    const refused = acceptors.filter((a) => campaign.leaseRefusals.has(a)).length;
    if (acceptors.length - refused < phase1Quorum) {
      const holder = /lease held by (\S+)/.exec(error.message)?.[1] ?? null;
      campaign.settle(new NotLeaderError(`commander ${this.id} was refused by the acceptors' leader lease`, holder));
    }
  }

  private maybeCompact(): void {
    const through = this.applied.appliedThrough;
    if (this.settings.compactEvery <= 0 || this.proposer.role !== "leader") return;
    // Due every COMPACT_EVERY slots, or sooner once the log since the last snapshot holds
    // COMPACT_BYTES: every acceptor keeps that log in memory until a snapshot lets it go, and
    // under load a slot carries a batch of hundreds of decisions.
    const bytesSince = this.applied.appliedBytes - this.bytesAtCompaction;
    if (through - this.lastCompactedThrough < this.settings.compactEvery && bytesSince < COMPACT_BYTES) return;
    // A snapshot costs its size to take, send and store three times. Once snapshots are large (a
    // job with thousands of calls running), the next waits until the log since the last one has
    // grown as large: snapshots then cost O(the log) in all, not O(slots × state), and the log
    // the acceptors keep meanwhile stays about the state's size.
    if (this.lastSnapshotBytes > AMORTISE_SNAPSHOTS_ABOVE_BYTES && bytesSince < this.lastSnapshotBytes) return;
    // Tried again on a later step; the acceptors keep their slots meanwhile.
    if (!this.applied.snapshotReady) return;
    this.lastCompactedThrough = through;
    // The state travels and is stored as its JSON text (applied-log.ts appliedStateOf): a copy
    // taken now, since the machine's snapshot may share objects it goes on changing (JobsState
    // hands out its live job records) and the compact message may leave later, queued behind a
    // slow acceptor. Text, not the object parsed back: parsing it here and cloning the object
    // graph into each acceptor's RPC held the shard's thread for most of a snapshot's cost.
    const json = JSON.stringify(this.applied.state());
    // Its length in UTF-16 units, not UTF-8 bytes: exact for the ASCII a snapshot mostly is, and
    // walking a multi-megabyte text character by character was a third of the snapshot's hold.
    // The figure only spaces snapshots out (AMORTISE_SNAPSHOTS_ABOVE_BYTES).
    this.lastSnapshotBytes = json.length;
    this.bytesAtCompaction = this.applied.appliedBytes;
    void this.step({ type: "compact", through, app: json });
  }

  /**
   * Keep the retransmit timer running exactly while something is waiting on the acceptors, or,
   * with auto-replace on, while an acceptor is failing: each tick's commit notices reach every
   * acceptor, so the detector keeps observing it (at a slower pace when nothing else is due).
   */
  private armRetryTimer(): void {
    if (this.closed || this.fatal) return;
    const pending =
      this.proposer.inFlight > 0 ||
      this.proposer.queued > 0 ||
      this.campaign !== null ||
      this.waiters.size > 0 ||
      this.commitNoticeDue;
    const delay = pending
      ? this.settings.retryMs
      : this.suspectPending()
        ? Math.max(this.settings.retryMs, Math.min(1_000, this.settings.autoReplaceAfterMs / 4))
        : null;
    if (delay === null) return;
    const due = this.timers.now() + delay;
    if (this.retryTimer !== null) {
      if (this.retryDueAt <= due) return;
      this.timers.clearTimeout(this.retryTimer);
    }
    this.retryDueAt = due;
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      this.commitNoticeDue = false;
      void this.step({ type: "timeout" });
      this.maybeAutoReplace();
      this.armRetryTimer();
    }, delay);
  }

  private resolveWaiters(id: string, slot: number): void {
    this.proposed.delete(id);
    const list = this.waiters.get(id);
    this.waiters.delete(id);
    for (const waiter of list ?? []) waiter.resolve(slot);
  }

  private rejectWaiters(id: string, error: Error): void {
    const list = this.waiters.get(id);
    this.waiters.delete(id);
    for (const waiter of list ?? []) waiter.reject(error);
  }

  private healthOf(acceptor: string): AcceptorHealthTracker {
    let tracker = this.health.get(acceptor);
    if (!tracker) {
      tracker = new AcceptorHealthTracker(acceptor);
      this.health.set(acceptor, tracker);
    }
    return tracker;
  }

  /**
   * An acceptor refused our bootstrap configuration: no retry can help, so stop, fail every
   * waiting caller and every later call with that error instead of letting them time out.
   */
  private failForGood(error: Error): void {
    if (this.fatal) return;
    this.fatal = error;
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.campaign?.settle(error);
    for (const id of [...this.waiters.keys()]) this.rejectWaiters(id, error);
    this.rejectBarriers(error);
  }

  private assertOpen(): void {
    if (this.fatal) throw this.fatal;
    if (this.closed) throw new PaxflowError("commander-closed", `commander ${this.id} shut down`);
  }
}
