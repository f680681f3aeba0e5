/**
 * Deterministic simulation of the consensus core. The real acceptor and proposer code runs
 * against a seeded scheduler that drops, duplicates, reorders and delays messages, crashes and
 * restarts acceptors (keeping only what they persisted) and commanders (keeping nothing), runs
 * competing proposers and changes membership. Thrifty commanders get random acceptor rankings
 * that change over time. The safety invariants are checked after every step; a violation names
 * the seed and step that reproduce it.
 */
import {
  type AcceptorState,
  type ConfigHistory,
  type AcceptorStep,
  type AcceptorWrite,
  type Entry,
  type Envelope,
  type LogCommand,
  type ProposerOptions,
  type ProposerReady,
  type Promised,
  type QuorumConfig,
  type ToAcceptor,
  type ToProposer,
  Proposer,
  acceptorsFrom,
  configFor,
  entryKey,
  initialHistory,
  makeConfig,
  replaceAcceptor,
  restoreAcceptor,
  stepAcceptor,
  withChange,
} from "../paxos/index.ts";
import { fnv1a, fnv1aHex } from "../hash.ts";
import { Random } from "./random.ts";

/** Hooks that swap in broken behaviour, so tests can show the checker catches real bugs. */
export interface SimVariant {
  readonly name: string;
  /** Replaces the acceptor's transition function. */
  readonly acceptorStep?: (state: AcceptorState, message: ToAcceptor) => AcceptorStep;
  /** Which persisted writes survive an acceptor crash (a disk that loses data). */
  readonly survivesCrash?: (write: AcceptorWrite) => boolean;
  /** Rewrites a promise before the proposer sees it. */
  readonly seenPromise?: (promise: Promised) => Promised;
  /** The bootstrap configuration proposer i starts from (a misconfigured commander). */
  readonly bootstrapFor?: (proposer: number, shared: QuorumConfig) => QuorumConfig;
  /** Builds each proposer incarnation (a broken subclass of the real one). */
  readonly makeProposer?: (options: ProposerOptions) => Proposer;
}

/**
 * Which commanders use thrifty phase 2: none, all, or each incarnation by a coin flip (commanders
 * of one shard may disagree on it: it is a local setting, not part of the configuration).
 */
export type ThriftyMode = "off" | "on" | "mixed";

export const CORRECT: SimVariant = { name: "correct" };

export interface SimOptions {
  readonly seed: number;
  /** Scheduler actions per schedule. */
  readonly steps: number;
  readonly acceptors: number;
  readonly proposers: number;
  readonly phase1Quorum?: number;
  readonly phase2Quorum?: number;
  readonly alpha: number;
  readonly maxBatch: number;
  /** Reply budget for chosen entries: small, so catch-up pages in every schedule. */
  readonly replyBytes: number;
  /**
   * Thrifty commanders. When the commander that must finish the quiet-period probe is thrifty,
   * one acceptor of the configuration deciding the next slot stays down for good, and is ranked
   * fastest, so only widening on the retransmit timeout lets it finish (if the quorums allow
   * losing one acceptor).
   */
  readonly thrifty: ThriftyMode;
  readonly variant: SimVariant;
}

export const DEFAULT_SIM_OPTIONS: Omit<SimOptions, "seed"> = {
  steps: 400,
  acceptors: 3,
  proposers: 3,
  alpha: 4,
  maxBatch: 3,
  replyBytes: 120,
  thrifty: "mixed",
  variant: CORRECT,
};

export interface Violation {
  readonly invariant:
    | "one-value-per-slot"
    | "chosen-was-proposed"
    | "learned-was-chosen"
    | "marked-chosen-was-chosen"
    | "learners-agree"
    | "gap-free-learning"
    | "progress-after-faults";
  readonly seed: number;
  readonly step: number;
  readonly slot: number;
  readonly detail: string;
}

export interface ScheduleResult {
  readonly seed: number;
  readonly steps: number;
  readonly slotsChosen: number;
  readonly commandsProposed: number;
  readonly membershipChanges: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly thrifty: ThriftyStats;
  /** The first violation found (the run stops there), or null. */
  readonly violation: Violation | null;
}

export interface ThriftyStats {
  /** Proposer incarnations that ran thrifty phase 2. */
  readonly incarnations: number;
  /** Rankings handed to proposers. */
  readonly rankings: number;
  /** Slots a thrifty proposer had to widen to the whole configuration on a timeout. */
  readonly widenedSlots: number;
  /** Quiet periods that kept one acceptor down for good (ranked fastest) for a thrifty prober. */
  readonly crashStops: number;
}

interface SimAcceptor {
  state: AcceptorState;
  disk: AcceptorWrite[];
  up: boolean;
}

interface SimProposer {
  readonly name: string;
  incarnation: number;
  core: Proposer;
  up: boolean;
  /** Learned-log digest chain for this incarnation: (through, digest). */
  through: number;
  digest: string;
}

const GENESIS = "genesis";
const chain = (digest: string, entry: Entry) => fnv1aHex(entryKey(entry), fnv1a(digest));

class Schedule {
  private readonly rng: Random;
  private readonly acceptors = new Map<string, SimAcceptor>();
  private readonly proposers: SimProposer[] = [];
  private network: Envelope<ToAcceptor | ToProposer>[] = [];
  private readonly bootstrap: QuorumConfig;
  private nextAcceptor: number;
  private nextCommand = 0;
  private readonly proposed = new Map<string, string>();
  private readonly chosen = new Map<number, string>();
  /** Every vote ever cast, never forgotten: slot -> "ballot|value" -> voters. */
  private readonly votes = new Map<number, Map<string, { key: string; voters: Set<string> }>>();
  /** Ground truth: configurations chosen in the contiguous chosen prefix. */
  private truth: { through: number; configs: ConfigHistory };
  /** Every configuration ever proposed, for slots the ground truth cannot place yet. */
  private readonly proposedConfigs: QuorumConfig[] = [];
  private readonly digestAt = new Map<number, string>();
  private readonly faults: Record<string, number> = {};
  private step = 0;
  private violation: Violation | null = null;
  private thriftyIncarnations = 0;
  private rankings = 0;
  /** Widened slots of incarnations already replaced. */
  private widenedBefore = 0;
  private crashStops = 0;

  constructor(private readonly options: SimOptions) {
    this.rng = new Random(options.seed);
    const ids = Array.from({ length: options.acceptors }, (_, i) => `a${i}`);
    this.nextAcceptor = options.acceptors;
    this.bootstrap = makeConfig(ids, options);
    this.truth = { through: 0, configs: initialHistory(this.bootstrap) };
    this.proposedConfigs.push(this.bootstrap);
    for (let i = 0; i < options.proposers; i++) {
      const p: SimProposer = { name: `p${i}`, incarnation: 0, core: this.newCore(`p${i}`, 0), up: true, through: 0, digest: GENESIS };
      this.proposers.push(p);
    }
  }

  private newCore(name: string, incarnation: number) {
    const index = Number(name.slice(1));
    const initial = this.options.variant.bootstrapFor?.(index, this.bootstrap) ?? this.bootstrap;
    const mode = this.options.thrifty;
    const thrifty = mode === "on" || (mode === "mixed" && this.rng.chance(0.5));
    const options: ProposerOptions = { id: `${name}#${incarnation}`, initial, maxBatch: this.options.maxBatch, maxReplyBytes: this.options.replyBytes, thrifty };
    const core = this.options.variant.makeProposer?.(options) ?? new Proposer(options);
    if (core.thrifty) this.thriftyIncarnations++;
    return core;
  }

  /** A random order of the acceptors `p` may send to: all of them, or only the first few (the rest unranked). */
  private rank(p: SimProposer, first?: string) {
    const known = acceptorsFrom(p.core.history, p.core.learnedThrough + 1).filter((a) => a !== first);
    for (let i = known.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [known[i], known[j]] = [known[j]!, known[i]!];
    }
    const order = first === undefined ? known.slice(0, 1 + this.rng.int(known.length)) : [first, ...known];
    this.rankings++;
    this.handle(p, p.core.step({ type: "rank", acceptors: order }));
  }

  private acceptor(id: string): SimAcceptor {
    let a = this.acceptors.get(id);
    if (!a) {
      a = { state: restoreAcceptor([]), disk: [], up: true };
      this.acceptors.set(id, a);
    }
    return a;
  }

  private count(fault: string) {
    this.faults[fault] = (this.faults[fault] ?? 0) + 1;
  }

  private fail(invariant: Violation["invariant"], slot: number, detail: string) {
    this.violation ??= { invariant, seed: this.options.seed, step: this.step, slot, detail };
  }

  run(): ScheduleResult {
    for (this.step = 1; this.step <= this.options.steps && !this.violation; this.step++) this.act();
    // Quiet period: faults stop. One commander must then get a fresh command chosen.
    for (const a of this.acceptors.values()) this.restartAcceptor(a);
    const leader = this.proposers.find((p) => p.up) ?? this.proposers[0]!;
    if (!leader.up) this.restartProposer(leader);
    // 30 rounds, as many as the probe ever needs; with an acceptor down for good and ranked
    // fastest, a thrifty leader needs one more (a timeout, to widen) per slot it re-proposes.
    let rounds = 30;
    const { phase1Quorum, phase2Quorum, acceptors } = configFor(this.truth.configs, this.truth.through + 1);
    if (!this.violation && leader.core.thrifty && acceptors.length - 1 >= Math.max(phase1Quorum, phase2Quorum)) {
      // Except one acceptor, gone for good and ranked fastest: its thrifty quorums never answer.
      const dead = this.rng.pick(acceptors);
      this.acceptor(dead).up = false;
      this.crashStops++;
      this.rank(leader, dead);
      rounds += 2 * this.proposed.size;
    }
    const probe: LogCommand = { kind: "app", id: "quiet-probe", data: null };
    this.proposed.set(probe.id, JSON.stringify(probe));
    const probeChosen = () => [...this.chosen.values()].some((key) => key.includes('"quiet-probe"'));
    for (let round = 0; round < rounds && !this.violation && !probeChosen(); round++) {
      if (leader.core.role !== "leader") this.handle(leader, leader.core.step({ type: "campaign" }));
      if (leader.core.queued === 0 && leader.core.inFlight === 0) this.handle(leader, leader.core.step({ type: "propose", commands: [probe] }));
      while (this.network.length > 0 && !this.violation) this.deliver(0);
      for (const p of this.proposers) if (p.up) this.handle(p, p.core.step({ type: "timeout" }));
    }
    if (!this.violation && !probeChosen()) this.fail("progress-after-faults", 0, `with every fault healed, a fresh command was not chosen in ${rounds} rounds`);
    return {
      seed: this.options.seed,
      steps: this.options.steps,
      slotsChosen: this.chosen.size,
      commandsProposed: this.proposed.size,
      membershipChanges: this.truth.configs.length - 1,
      faults: this.faults,
      thrifty: {
        incarnations: this.thriftyIncarnations,
        rankings: this.rankings,
        widenedSlots: this.widenedBefore + this.proposers.reduce((n, p) => n + p.core.widenedSlots, 0),
        crashStops: this.crashStops,
      },
      violation: this.violation,
    };
  }

  private act() {
    const action = this.rng.weighted({
      deliver: 60,
      drop: 4,
      duplicate: 4,
      propose: 10,
      campaign: 3,
      timeout: 6,
      rank: 3,
      catchUp: 2,
      compact: 1,
      reconfigure: 1,
      crashAcceptor: 1.5,
      restartAcceptor: 3,
      crashProposer: 1,
      restartProposer: 2,
    });
    const up = this.proposers.filter((p) => p.up);
    switch (action) {
      case "deliver":
        if (this.network.length) this.deliver(this.rng.int(this.network.length));
        return;
      case "drop":
        if (this.network.length) {
          this.network.splice(this.rng.int(this.network.length), 1);
          this.count("dropped");
        }
        return;
      case "duplicate":
        if (this.network.length) {
          this.network.push(this.rng.pick(this.network));
          this.count("duplicated");
        }
        return;
      case "propose": {
        if (!up.length) return;
        const id = `c${this.nextCommand++}`;
        const command: LogCommand = { kind: "app", id, data: { n: this.nextCommand, by: this.options.seed } };
        this.proposed.set(id, JSON.stringify(command));
        const p = this.rng.pick(up);
        this.handle(p, p.core.step({ type: "propose", commands: [command] }));
        return;
      }
      case "campaign":
      case "timeout":
        if (up.length) {
          const p = this.rng.pick(up);
          this.handle(p, p.core.step({ type: action }));
        }
        return;
      case "rank":
        if (up.length) this.rank(this.rng.pick(up));
        return;
      case "catchUp":
        if (up.length) {
          const p = this.rng.pick(up);
          this.handle(p, p.core.step({ type: "catch-up" }));
        }
        return;
      case "compact": {
        if (!up.length) return;
        const p = this.rng.pick(up);
        if (p.through > 0) this.handle(p, p.core.step({ type: "compact", through: p.through, app: { digest: p.digest } }));
        return;
      }
      case "reconfigure": {
        if (!up.length) return;
        const p = this.rng.pick(up);
        const current = p.core.latestConfig;
        const fresh = `a${this.nextAcceptor++}`;
        const config = replaceAcceptor(current, this.rng.pick(current.acceptors), fresh);
        const command: LogCommand = { kind: "reconfigure", id: `r${fresh}`, config };
        this.proposedConfigs.push(config);
        this.proposed.set(command.id, JSON.stringify(command));
        this.handle(p, p.core.step({ type: "propose", commands: [command] }));
        return;
      }
      case "crashAcceptor": {
        const live = [...this.acceptors.values()].filter((a) => a.up);
        if (live.length) {
          this.rng.pick(live).up = false;
          this.count("acceptorCrashes");
        }
        return;
      }
      case "restartAcceptor": {
        const down = [...this.acceptors.values()].filter((a) => !a.up);
        if (down.length) this.restartAcceptor(this.rng.pick(down));
        return;
      }
      case "crashProposer":
        if (up.length > 1) {
          this.rng.pick(up).up = false;
          this.count("commanderCrashes");
        }
        return;
      case "restartProposer": {
        const down = this.proposers.filter((p) => !p.up);
        if (down.length) this.restartProposer(this.rng.pick(down));
        return;
      }
    }
  }

  private restartAcceptor(a: SimAcceptor) {
    if (a.up) return;
    const keep = this.options.variant.survivesCrash ?? (() => true);
    a.disk = a.disk.filter(keep);
    a.state = restoreAcceptor(a.disk);
    a.up = true;
  }

  /** A restarted commander remembers nothing and gets a new incarnation (so new ballots). */
  private restartProposer(p: SimProposer) {
    this.widenedBefore += p.core.widenedSlots;
    p.incarnation++;
    p.core = this.newCore(p.name, p.incarnation);
    p.up = true;
    p.through = 0;
    p.digest = GENESIS;
    this.handle(p, p.core.step({ type: "catch-up" }));
  }

  private deliver(index: number) {
    const [envelope] = this.network.splice(index, 1);
    if (!envelope) return;
    const { from, to, message } = envelope;
    if (to.startsWith("a")) {
      const a = this.acceptor(to);
      if (!a.up) return;
      const stepAcc = this.options.variant.acceptorStep ?? stepAcceptor;
      const { writes, reply } = stepAcc(a.state, message as ToAcceptor);
      a.disk.push(...writes); // durable before the reply leaves
      for (const write of writes) this.observe(to, a, write);
      if (reply) this.network.push({ from: to, to: from, message: reply });
      return;
    }
    const p = this.proposers.find((q) => q.core.id === to);
    if (!p || !p.up) return; // addressed to a dead incarnation
    let msg = message as ToProposer;
    if (msg.type === "promise" && this.options.variant.seenPromise) msg = this.options.variant.seenPromise(msg);
    this.handle(p, p.core.step({ type: "receive", from, message: msg }));
  }

  private handle(p: SimProposer, ready: ProposerReady) {
    this.network.push(...ready.send);
    if (ready.restored) {
      const app = ready.restored.app as { digest: string };
      this.agree(ready.restored.through, app.digest, p);
      p.through = ready.restored.through;
      p.digest = app.digest;
    }
    for (const { slot, entry } of ready.committed) {
      if (slot !== p.through + 1) this.fail("gap-free-learning", slot, `${p.core.id} learned slot ${slot} after ${p.through}`);
      const chosen = this.chosen.get(slot);
      const key = entryKey(entry);
      if (chosen === undefined) this.fail("learned-was-chosen", slot, `${p.core.id} learned ${key} in slot ${slot}, never chosen`);
      else if (chosen !== key) this.fail("learned-was-chosen", slot, `${p.core.id} learned ${key} in slot ${slot}, chosen was ${chosen}`);
      p.through = slot;
      p.digest = chain(p.digest, entry);
      this.agree(slot, p.digest, p);
    }
  }

  /** Every learner's log is a prefix of every longer one: equal digests at every slot. */
  private agree(slot: number, digest: string, p: SimProposer) {
    const seen = this.digestAt.get(slot);
    if (seen === undefined) this.digestAt.set(slot, digest);
    else if (seen !== digest) this.fail("learners-agree", slot, `${p.core.id} has log digest ${digest} at slot ${slot}, others ${seen}`);
  }

  /** The oracle sees every durable write: votes accumulate, chosen marks are checked. */
  private observe(acceptor: string, a: SimAcceptor, write: AcceptorWrite) {
    if (write.kind === "accept") {
      const key = entryKey(write.value.entry);
      const id = `${write.value.ballot.round}.${write.value.ballot.proposer}|${key}`;
      const bySlot = this.votes.get(write.slot) ?? new Map<string, { key: string; voters: Set<string> }>();
      this.votes.set(write.slot, bySlot);
      const tally = bySlot.get(id) ?? { key, voters: new Set<string>() };
      bySlot.set(id, tally);
      tally.voters.add(acceptor);
      this.checkChosen(write.slot);
    } else if (write.kind === "chosen") {
      for (const slot of write.slots) {
        const key = entryKey(a.state.accepted.get(slot)!.entry);
        const chosen = this.chosen.get(slot);
        if (chosen !== key) {
          this.fail("marked-chosen-was-chosen", slot, `${acceptor} marked ${key} chosen in slot ${slot}; chosen is ${chosen ?? "nothing yet"}`);
        }
      }
    }
  }

  /**
   * A value is chosen once a phase-2 quorum of the configuration that decides its slot voted
   * for it at one ballot. Where the ground truth cannot place a slot yet (a gap more than
   * alpha below it), any configuration ever proposed counts: that can only over-report.
   */
  private checkChosen(slot: number) {
    const decides = slot - this.bootstrap.alpha <= this.truth.through ? [configFor(this.truth.configs, slot)] : this.proposedConfigs;
    for (const { key, voters } of this.votes.get(slot)?.values() ?? []) {
      const isChosen = decides.some((c) => c.acceptors.filter((x) => voters.has(x)).length >= c.phase2Quorum);
      if (!isChosen) continue;
      const before = this.chosen.get(slot);
      if (before === undefined) {
        this.chosen.set(slot, key);
        this.checkProposed(slot, key);
        this.advanceTruth();
      } else if (before !== key) {
        this.fail("one-value-per-slot", slot, `slot ${slot} chose ${before} and then ${key}`);
      }
    }
  }

  private advanceTruth() {
    let { through, configs } = this.truth;
    for (let key = this.chosen.get(through + 1); key !== undefined; key = this.chosen.get(through + 1)) {
      through++;
      for (const command of JSON.parse(key) as LogCommand[]) {
        if (command.kind === "reconfigure") configs = withChange(configs, through, command.config) ?? configs;
      }
    }
    this.truth = { through, configs };
  }

  private checkProposed(slot: number, key: string) {
    for (const command of JSON.parse(key) as LogCommand[]) {
      if (this.proposed.get(command.id) !== JSON.stringify(command)) {
        this.fail("chosen-was-proposed", slot, `slot ${slot} chose command ${command.id}, which no client proposed`);
      }
    }
  }
}

export function runSchedule(options: SimOptions): ScheduleResult {
  return new Schedule(options).run();
}

export interface SimReport {
  readonly variant: string;
  readonly schedules: number;
  readonly firstSeed: number;
  readonly stepsPerSchedule: number;
  readonly totalSteps: number;
  readonly slotsChosen: number;
  readonly commandsProposed: number;
  readonly membershipChanges: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly thrifty: ThriftyStats;
  readonly violations: readonly Violation[];
}

/** Runs `schedules` schedules with seeds firstSeed, firstSeed+1, ...; `onProgress` for long runs. */
export function simulateConsensus(
  schedules: number,
  firstSeed: number,
  options: Partial<Omit<SimOptions, "seed">> = {},
  onProgress?: (done: number) => void,
): SimReport {
  const opts = { ...DEFAULT_SIM_OPTIONS, ...options };
  const violations: Violation[] = [];
  const faults: Record<string, number> = {};
  let slotsChosen = 0;
  let commandsProposed = 0;
  let membershipChanges = 0;
  const thrifty = { incarnations: 0, rankings: 0, widenedSlots: 0, crashStops: 0 };
  for (let i = 0; i < schedules; i++) {
    const result = runSchedule({ ...opts, seed: firstSeed + i });
    slotsChosen += result.slotsChosen;
    commandsProposed += result.commandsProposed;
    membershipChanges += result.membershipChanges;
    for (const k of Object.keys(thrifty) as (keyof ThriftyStats)[]) thrifty[k] += result.thrifty[k];
    for (const [k, v] of Object.entries(result.faults)) faults[k] = (faults[k] ?? 0) + v;
    if (result.violation) violations.push(result.violation);
    onProgress?.(i + 1);
  }
  return {
    variant: opts.variant.name,
    schedules,
    firstSeed,
    stepsPerSchedule: opts.steps,
    totalSteps: schedules * opts.steps,
    slotsChosen,
    commandsProposed,
    membershipChanges,
    faults,
    thrifty,
    violations,
  };
}
