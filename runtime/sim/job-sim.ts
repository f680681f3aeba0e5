/**
 * Deterministic simulation of the job plane, after TigerBeetle's VOPR. Several commanders of one
 * shard (real JobDrivers, each with its own real CommanderDriver) share in-memory acceptors and
 * contend for leadership through the lease; runners answer, hang, crash, answer twice, answer
 * late or lie; messages between commanders and acceptors are lost or delayed; commanders crash
 * and restart from what the acceptors hold. All of it runs on one virtual clock (every promise
 * settles between two timer events), so a seed fixes the faults *and* the interleaving, and
 * replays exactly.
 *
 * It lives in runtime/, not core/sim/: it drives the runtime classes, which are not pure. It
 * holds no rule of the plane: the product decides everything, the checker only watches.
 *
 * Checked while it runs, on every applied decision: a call's accepted result never changes and
 * is the stage's true output; no decision is applied twice (per commander, and by slot across
 * commanders); a submit is answered only once its job was chosen, and no read after that says
 * the job does not exist; a snapshot taken for
 * compaction is the state at that point, and a commander restores only such a snapshot. After
 * every step: each commander's live JobsState equals a JobsState rebuilt from the chosen entries
 * it applied (from empty, or from the snapshot it restored). Once faults heal: every job ends
 * `done`, with the output runLocally gives.
 */
import { type Value, decode, encode } from "../../core/codec.ts";
import { sealable } from "../../core/jobs/advance.ts";
import { builtinNodes } from "../../core/jobs/builtins.ts";
import { type CallOutcome, type NodeSpec, decodeDecision } from "../../core/jobs/decisions.ts";
import { DEFAULT_INLINE_PAYLOAD_BYTES, type Payload, fromBase64, payloadKey } from "../../core/jobs/payload.ts";
import { type CallRecord, type JobsSnapshot, JobsState, type JobsStateOptions } from "../../core/jobs/state.ts";
import type { VerifyPolicy } from "../../core/jobs/verification.ts";
import { makeConfig } from "../../core/paxos/index.ts";
import { createLearningScheduler } from "../../core/sched/learning-scheduler.ts";
import { type LocalResult, runLocally } from "../../core/sdk/local.ts";
import { runStage } from "../../core/sdk/run-stage.ts";
import { Random } from "../../core/sim/random.ts";
import type { StateMachine } from "../applied-log.ts";
import { CommanderDriver } from "../commander-driver.ts";
import { PaxflowError, errorMessage } from "../errors.ts";
import type { Backends } from "../jobs/backends.ts";
import type { JobView } from "../jobs/contract.ts";
import { type BrokenRules, JobDriver } from "../jobs/job-driver.ts";
import { runHere } from "../jobs/memory-shard.ts";
import { MemoryFinishedJobs } from "../jobs/finished-jobs.ts";
import { MemoryBlobStore, Payloads } from "../jobs/payload-store.ts";
import { MemoryAcceptors } from "../memory-transport.ts";
import type { AcceptorTransport } from "../transport.ts";
import { corpus, randomJob } from "./job-corpus.ts";
import { VirtualTime } from "./virtual-time.ts";

/** A broken plane (job-variants.ts): the checker must catch each. */
export interface JobSimVariant {
  readonly name: string;
  readonly broken?: BrokenRules;
  /** The commanders' CommanderOptions.dedupeWindow; 0 applies a decision chosen twice twice. */
  readonly dedupeWindow?: number;
}

export const CORRECT_PLANE: JobSimVariant = { name: "correct" };

export interface JobSimOptions {
  readonly seed: number;
  /** Scheduler actions while faults are on; then they heal and the run must finish every job. */
  readonly steps: number;
  readonly variant: JobSimVariant;
}

export const DEFAULT_JOB_SIM_OPTIONS: Omit<JobSimOptions, "seed"> = { steps: 4, variant: CORRECT_PLANE };

export type JobInvariant =
  | "one-result-per-call"
  | "result-is-the-stage-output"
  | "applied-once"
  | "answered-after-chosen"
  | "read-your-writes"
  | "snapshot-is-the-state"
  | "rebuilt-equals-live"
  | "ends-done-as-run-locally"
  | "harness";

export interface JobViolation {
  readonly invariant: JobInvariant;
  readonly seed: number;
  /** The scheduler step (0: setup; steps + 1: after faults healed). */
  readonly step: number;
  readonly detail: string;
}

/** Fault kinds: each seed turns on a random subset (swarm testing), so they also appear alone. */
export const FAULT_KINDS = [
  "dropped-request",
  "dropped-reply",
  "delayed-message",
  "commander-crash",
  "acceptor-crash",
  "runner-hangs",
  "runner-crashes",
  "runner-answers-twice",
  "runner-answers-late",
  "runner-lies",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

type Behaviour = "honest" | "hangs" | "crashes" | "twice" | "late" | "lies";

const RUNNER_FAULTS: readonly [FaultKind, Behaviour][] = [
  ["runner-hangs", "hangs"],
  ["runner-crashes", "crashes"],
  ["runner-answers-twice", "twice"],
  ["runner-answers-late", "late"],
  ["runner-lies", "lies"],
];

export interface JobScheduleResult {
  readonly seed: number;
  readonly steps: number;
  readonly jobs: number;
  readonly jobsDone: number;
  /** Distinct decisions chosen (and applied by some commander). */
  readonly decisions: number;
  readonly virtualMs: number;
  /** Timer events the run took. */
  readonly events: number;
  /** Faults injected, by kind; also leader changes and stale decisions the plane ignored. */
  readonly faults: Readonly<Record<string, number>>;
  readonly violation: JobViolation | null;
}

const ACCEPTORS = ["a0", "a1", "a2"];
const COMMANDERS = 3;
const RUNNERS = 4;
const TENANT = "sim";
/** After faults heal, how long a call's attempts used up under them may still end its job (see gaveUpUnderFaults). */
const GRACE_MS = 1_000;
/** Virtual time the healed plane gets to finish every job. */
const HEAL_MS = 30_000;
/** The acceptors' leader lease (virtual ms). */
const LEASE_MS = 80;

/** Keeps a seed that never settles from running for ever (the harness fails it). */
const MAX_TIMERS = 400_000;

// As the driver keeps its state: running jobs only (finished ones go to its store as they end).
const stateOptions = (variant: JobSimVariant): JobsStateOptions => ({
  retainFinished: 0,
  ...(variant.broken?.acceptSecondResult ? { acceptSecondResult: true } : {}),
});

interface SimCommander {
  readonly index: number;
  incarnation: number;
  driver: JobDriver | null;
  /** Faults on this commander's links to the acceptors. */
  link: { dropRequest: number; dropReply: number; delayMs: number };
  /** Decision ids this incarnation applied. */
  applied: Set<string>;
  /** The chosen entries this incarnation applied, applied again to a state of the checker's own. */
  shadow: JobsState;
  /** Its store of finished jobs: storage, kept across crashes. */
  readonly finished: MemoryFinishedJobs;
}

interface SimRunner {
  readonly spec: NodeSpec;
  behaviour: Behaviour;
  up: boolean;
  /** Bumped by each crash: calls taken before it die with it. */
  epoch: number;
}

interface SimJob {
  readonly name: string;
  readonly input: Value;
  readonly expected: LocalResult;
}

const quiet = () => undefined;

/** A wrong answer that still decodes, as a lying runner gives. */
const wrong = (value: Value): Value => ["a wrong answer on purpose", value];

const openInline = (payload: Payload): Value => {
  if (!("inline" in payload)) throw new Error("the corpus keeps every payload inline");
  return decode(fromBase64(payload.inline));
};

const sameValue = (a: Value, b: Value): boolean => {
  const [x, y] = [encode(a), encode(b)];
  return x.length === y.length && x.every((byte, i) => byte === y[i]);
};

class Stop extends Error {}

class JobSchedule {
  private readonly rng: Random;
  private readonly time = new VirtualTime();
  private readonly acceptors: MemoryAcceptors;
  private readonly payloads = new Payloads(new MemoryBlobStore(), DEFAULT_INLINE_PAYLOAD_BYTES, payloadKey);
  private readonly commanders: SimCommander[] = [];
  private readonly runners = new Map<string, SimRunner>();
  private readonly enabled: ReadonlySet<FaultKind>;
  private readonly verify: VerifyPolicy;
  private readonly compactEvery: number;
  private readonly jobs = new Map<string, SimJob>();
  private readonly clients: Promise<void>[] = [];
  /** Jobs whose submit a commander answered: every later read must find them. */
  private readonly answered = new Set<string>();
  /** The last view of each job the client got once faults healed. */
  private readonly finals = new Map<string, JobView>();
  private readonly faults: Record<string, number> = {};
  /** Jobs whose job.accepted some commander applied (so it was chosen). */
  private readonly acceptedJobs = new Set<string>();
  /** Every decision id chosen, and the slot that holds its first copy. */
  private readonly chosenAt = new Map<string, number>();
  /** Each call's accepted result, as the first commander to apply it saw it. */
  private readonly accepted = new Map<string, string>();
  /** What checkJob last saw of each call record (per commander: each has its own records). */
  private readonly seenOutcome = new WeakMap<CallRecord, CallRecord["state"]>();
  /** Every snapshot a commander took (a copy, as it was then), by snapshotKey. */
  private readonly snapshots = new Map<string, JobsSnapshot[]>();
  private step = 0;
  /** When faults stopped (virtual ms); null while they go on. */
  private healedAt: number | null = null;
  private stopped = false;
  private violation: JobViolation | null = null;

  constructor(private readonly options: JobSimOptions) {
    this.rng = new Random(options.seed);
    this.enabled = new Set(FAULT_KINDS.filter(() => this.rng.chance(0.5)));
    this.acceptors = new MemoryAcceptors(ACCEPTORS, { leaseMs: LEASE_MS, now: this.time.now, sleep: this.time.sleep });
    // At most one liar: two would tell the same lie and outvote the truth.
    const behaviours = RUNNER_FAULTS.filter(([kind]) => this.enabled.has(kind)).map(([, b]) => b);
    let liars = 0;
    for (let i = 0; i < RUNNERS; i++) {
      let behaviour: Behaviour = behaviours.length > 0 && this.rng.chance(0.5) ? this.rng.pick(behaviours) : "honest";
      if (behaviour === "lies" && liars++ > 0) behaviour = "honest";
      const spec: NodeSpec = { id: `r${i}`, kind: "runner", url: `http://r${i}.sim`, caps: ["cpu"], speed: { cpu: 2 + i }, slots: 4, latencyMs: 1, bandwidthMBps: 100 };
      this.runners.set(spec.id, { spec, behaviour, up: true, epoch: 0 });
    }
    // With a liar every runner call is checked by a second node; otherwise the policy varies by seed.
    this.verify = liars > 0 ? { fraction: 1, newNodeCalls: 0 } : { fraction: this.rng.pick([0, 0.5, 1]), newNodeCalls: this.rng.int(3) };
    this.compactEvery = this.rng.pick([16, 64]);
    for (let i = 0; i < COMMANDERS; i++) {
      const c: SimCommander = {
        index: i,
        incarnation: 0,
        driver: null,
        link: { dropRequest: 0, dropReply: 0, delayMs: 0 },
        applied: new Set(),
        shadow: this.newState(),
        finished: new MemoryFinishedJobs(),
      };
      this.commanders.push(c);
      this.start(c);
    }
  }

  async run(): Promise<JobScheduleResult> {
    try {
      await this.time.run(this.scenario(), MAX_TIMERS);
    } catch (error) {
      if (!(error instanceof Stop)) this.fail("harness", `the run failed: ${errorMessage(error)}`);
    }
    this.stopped = true;
    for (const c of this.commanders) c.driver?.close();
    const done = [...this.finals.values()].filter((view) => view.status === "done").length;
    return {
      seed: this.options.seed,
      steps: this.options.steps,
      jobs: this.jobs.size,
      jobsDone: done,
      decisions: this.chosenAt.size,
      virtualMs: this.time.now(),
      events: this.time.fired,
      faults: this.faults,
      violation: this.violation,
    };
  }

  private newState(): JobsState {
    return new JobsState(stateOptions(this.options.variant));
  }

  private count(kind: string, n = 1): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + n;
  }

  private fail(invariant: JobInvariant, detail: string): void {
    this.violation ??= { invariant, seed: this.options.seed, step: this.step, detail };
  }

  /** Ends the run at the first violation (checked between actions: callbacks only record it). */
  private checkpoint(): void {
    if (this.violation) throw new Stop();
  }

  private sleep(ms: number): Promise<void> {
    return this.time.sleep(ms);
  }

  // ---- the scenario ---------------------------------------------------------------------

  private async scenario(): Promise<void> {
    await this.register();
    for (this.step = 1; this.step <= this.options.steps; this.step++) {
      await this.sleep(this.rng.int(60));
      await this.act();
      this.checkStates();
      this.checkpoint();
    }
    await this.heal();
    this.step = this.options.steps + 1;
    await Promise.all(this.clients);
    this.checkpoint();
    await this.awaitEveryJob();
    this.checkStates();
    this.checkpoint();
  }

  /** Every runner registers before the faults start (registration is not what is under test). */
  private async register(): Promise<void> {
    // Together: their decisions share slots.
    const register = async (spec: NodeSpec) => {
      for (let tries = 0; ; tries++) {
        try {
          return await this.commanders[0]!.driver!.registerNode(spec, 1);
        } catch (error) {
          if (tries > 50) throw error;
          await this.sleep(50);
        }
      }
    };
    await Promise.all([...this.runners.values()].map((r) => register(r.spec)));
    this.runners.forEach((r) => void this.heartbeats(r));
  }

  private async act(): Promise<void> {
    const up = this.commanders.filter((c) => c.driver);
    const on = (kind: FaultKind, weight: number) => (this.enabled.has(kind) ? weight : 0);
    // Every seed has work: its first action submits a job.
    const action = this.step === 1 ? "submit" : this.rng.weighted({
      submit: 5,
      wait: 4,
      query: 2,
      crashCommander: up.length > 1 ? on("commander-crash", 1.5) : 0,
      restartCommander: up.length < COMMANDERS ? 3 : 0,
      breakLink: on("dropped-request", 1) + on("dropped-reply", 1) + on("delayed-message", 1),
      healLink: 2,
      crashAcceptor: on("acceptor-crash", 1),
    });
    switch (action) {
      case "submit": {
        const id = `job-${this.jobs.size}`;
        const { name, input } = randomJob(this.rng);
        this.jobs.set(id, { name, input, expected: runLocally(corpus, name, input) });
        this.clients.push(this.submit(id, name, input));
        return;
      }
      case "wait":
        await this.sleep(this.rng.int(200));
        return;
      case "query": {
        const c = this.rng.pick(up);
        const ids = [...this.jobs.keys()];
        if (ids.length > 0) await this.read(c, this.rng.pick(ids), 0).catch(quiet);
        return;
      }
      case "crashCommander": {
        const c = this.rng.pick(up);
        c.driver!.close();
        c.driver = null;
        this.count("commander-crash");
        return;
      }
      case "restartCommander":
        this.start(this.rng.pick(this.commanders.filter((c) => !c.driver)));
        return;
      case "breakLink": {
        const c = this.rng.pick(this.commanders);
        c.link = {
          dropRequest: this.enabled.has("dropped-request") ? this.rng.pick([0, 0.1, 0.3]) : 0,
          dropReply: this.enabled.has("dropped-reply") ? this.rng.pick([0, 0.1, 0.3]) : 0,
          delayMs: this.enabled.has("delayed-message") ? this.rng.pick([0, 10, 60]) : 0,
        };
        return;
      }
      case "healLink":
        this.rng.pick(this.commanders).link = { dropRequest: 0, dropReply: 0, delayMs: 0 };
        return;
      case "crashAcceptor":
        // Loses its memory (the lease) and keeps what it persisted.
        this.acceptors.crash(this.rng.pick(ACCEPTORS));
        this.count("acceptor-crash");
        return;
    }
  }

  /** Faults stop: links heal, commanders come back, runners turn honest (a liar stays one: it is not a fault that heals). */
  private async heal(): Promise<void> {
    this.healedAt = this.time.now();
    for (const c of this.commanders) {
      c.link = { dropRequest: 0, dropReply: 0, delayMs: 0 };
      if (!c.driver) this.start(c);
    }
    for (const r of this.runners.values()) {
      r.up = true;
      if (r.behaviour !== "lies") r.behaviour = "honest";
    }
  }

  /** A client waits for every job it submitted (any commander; retrying as a client would). */
  private async awaitEveryJob(): Promise<void> {
    const until = this.time.now() + HEAL_MS;
    for (const id of this.jobs.keys()) {
      while (this.time.now() < until) {
        this.checkpoint();
        // Mostly the leader; sometimes another commander, as a client retrying elsewhere would: a
        // deposed leader that has not heard of it yet answers from its stale state (see the report
        // of issue 16: always asking it left a job "not found" for good, seed 69 at 6 steps).
        const c = this.pick();
        const view = c && (await this.read(c, id, 1_000).catch(() => null));
        if (view) this.finals.set(id, view);
        if (view && view.status !== "running") break;
        if (!view) await this.sleep(50);
      }
    }
    for (const [id, job] of this.jobs) {
      const view = this.finals.get(id);
      const expected = job.expected;
      if (view && gaveUpUnderFaults(view, this.healedAt)) {
        this.count("gave-up-under-faults");
        continue;
      }
      if (!view || view.status !== expected.status) {
        this.fail("ends-done-as-run-locally", `${id} (${job.name}) is ${view?.status ?? "unknown"} ${HEAL_MS} ms after faults healed${view?.error ? ` (${view.error.message})` : ""}; runLocally: ${expected.status}`);
        return;
      }
      if (expected.status === "done" && (!view.output || !sameValue(openInline(view.output), expected.output))) {
        this.fail("ends-done-as-run-locally", `${id} (${job.name}) output ${view.output ? JSON.stringify(openInline(view.output)) : "none"}; runLocally: ${JSON.stringify(expected.output)}`);
        return;
      }
    }
  }

  /** A client's read of a job: once its submit was answered, no commander may say it does not exist. */
  private async read(c: SimCommander, id: string, waitMs: number): Promise<JobView | null> {
    const driver = c.driver!;
    const view = await driver.getJob(id, { kind: "admin", name: TENANT }, waitMs);
    if (view === null && this.answered.has(id)) this.fail("read-your-writes", `${driver.commander.id} (${driver.commander.role}) says ${id} does not exist; its submit was answered`);
    return view;
  }

  /** A commander to talk to: usually the leader, as the API finds it; sometimes any (they contend). */
  private pick(): SimCommander | null {
    const up = this.commanders.filter((c) => c.driver);
    if (up.length === 0) return null;
    const leader = up.find((c) => c.driver!.commander.role === "leader");
    return leader && this.rng.chance(0.9) ? leader : this.rng.pick(up);
  }

  private async submit(id: string, name: string, input: Value): Promise<void> {
    const payload = await this.payloads.seal(sealable(input));
    while (!this.stopped) {
      const c = this.pick();
      try {
        if (!c) throw new Error("no commander is up");
        await c.driver!.submitJob({ id, name, input: payload, submittedBy: TENANT, waitMs: 0 });
        if (!this.acceptedJobs.has(id)) this.fail("answered-after-chosen", `${c.driver!.commander.id} answered the submit of ${id} before its job.accepted was chosen`);
        this.answered.add(id);
        return;
      } catch {
        await this.sleep(30 + this.rng.int(50));
      }
    }
  }

  // ---- commanders and their links -------------------------------------------------------

  private start(c: SimCommander): void {
    c.incarnation++;
    c.applied = new Set();
    c.shadow = this.newState();
    const id = `c${c.index}#${c.incarnation}`;
    const variant = this.options.variant;
    c.driver = new JobDriver({
      shard: 0,
      registry: corpus,
      payloads: this.payloads,
      backends: this.backends(),
      timers: this.time.timers,
      builtins: builtinNodes(1),
      scheduler: createLearningScheduler({ inlineMaxMs: 2 }),
      maxWaitMs: 1_000,
      // Its own storage, which outlives each incarnation (a Durable Object's SQLite).
      finished: c.finished,
      name: `c${c.index}`,
      peers: () => new Map(this.commanders.flatMap((other) => (other.driver ? [[`c${other.index}`, other.driver] as const] : []))),
      verify: this.verify,
      // Runners heartbeat; none is removed for silence within a seed.
      nodeExpiryMs: 1e9,
      logSink: process.env.PAXFLOW_SIM_LOG ? undefined : quiet,
      ...(variant.broken ? { broken: variant.broken } : {}),
      commander: (machine, onElected) =>
        new CommanderDriver({
          id,
          initial: makeConfig(ACCEPTORS, { alpha: 3 }),
          transport: this.link(c),
          timers: this.time.timers,
          maxBatch: 8,
          retryMs: 20,
          callTimeoutMs: 100,
          campaignTimeoutMs: 200,
          commitTimeoutMs: 400,
          // As a deployment sets it (durable-objects/commander.ts): half the acceptors' lease.
          readLeaseMs: LEASE_MS / 2,
          // Small, so snapshots are taken and restored within a seed.
          compactEvery: this.compactEvery,
          ...(variant.dedupeWindow === undefined ? {} : { dedupeWindow: variant.dedupeWindow }),
          machine: this.watch(c, machine),
          onElected: () => {
            this.count("leader-change");
            onElected();
          },
        }),
    });
  }

  /** This commander's link to the acceptors: it loses or delays requests and replies as told. */
  private link(c: SimCommander): AcceptorTransport {
    const lost = async (what: string, acceptor: string): Promise<never> => {
      this.count(what);
      // A lost message is noticed by the call timeout, not at once.
      await this.sleep(1_000);
      throw new PaxflowError("call-timeout", `the simulation lost a message to ${acceptor}`);
    };
    return {
      call: async (acceptor, messages, cluster) => {
        const { dropRequest, dropReply, delayMs } = c.link;
        if (delayMs > 0) {
          this.count("delayed-message");
          await this.sleep(this.rng.int(delayMs));
        }
        if (this.rng.chance(dropRequest)) return lost("dropped-request", acceptor);
        const replies = await this.acceptors.call(acceptor, messages, cluster);
        if (this.rng.chance(dropReply)) return lost("dropped-reply", acceptor);
        return replies;
      },
    };
  }

  /** The state machine the commander drives, watched: every apply, snapshot and restore is checked. */
  private watch(c: SimCommander, machine: StateMachine): StateMachine {
    return {
      apply: (data, id, slot) => {
        if (c.applied.has(id)) this.fail("applied-once", `c${c.index}#${c.incarnation} applied ${id} twice`);
        c.applied.add(id);
        const first = this.chosenAt.get(id);
        if (first === undefined) this.chosenAt.set(id, slot);
        else if (first !== slot) this.fail("applied-once", `c${c.index}#${c.incarnation} applied ${id} at slot ${slot}; it was applied at slot ${first} already`);
        machine.apply(data, id, slot);
        const decision = decodeDecision(data);
        if (decision) c.shadow.apply(decision);
        if (decision?.type === "job.accepted") this.acceptedJobs.add(decision.job);
        if (decision && "job" in decision) this.checkJob(c, decision.job);
      },
      ...(machine.appliedSlot ? { appliedSlot: (slot: number) => machine.appliedSlot!(slot) } : {}),
      ...(machine.snapshotReady ? { snapshotReady: () => machine.snapshotReady!() } : {}),
      snapshot: () => {
        const snapshot = machine.snapshot() as JobsSnapshot;
        // Its author is who took it, not state.
        if (!sameJson({ ...snapshot, author: undefined }, c.shadow.snapshot())) this.fail("snapshot-is-the-state", `c${c.index}#${c.incarnation} took a snapshot that is not its state rebuilt from the log`);
        const taken = this.snapshots.get(snapshotKey(snapshot)) ?? [];
        taken.push(structuredClone(snapshot));
        this.snapshots.set(snapshotKey(snapshot), taken);
        return snapshot;
      },
      restore: (state, through) => {
        const snapshot = state as JobsSnapshot | null | undefined;
        if (snapshot && !this.snapshots.get(snapshotKey(snapshot))?.some((taken) => sameJson(taken, snapshot))) {
          this.fail("snapshot-is-the-state", `c${c.index}#${c.incarnation} restored a snapshot that no commander took (changed on its way?)`);
        }
        c.shadow = this.newState();
        if (snapshot) c.shadow.restore(structuredClone({ ...snapshot, author: undefined }));
        machine.restore(state, through);
      },
    };
  }

  /** A job's calls as a commander has them after an apply: each call's result is its first, and right. */
  private checkJob(c: SimCommander, jobId: string): void {
    const state = c.driver?.state;
    const job = state?.job(jobId);
    if (!job) return;
    for (const id of job.parent ? [jobId, job.parent.job] : [jobId]) {
      for (const call of state!.job(id)?.calls ?? []) {
        if (call.state.is !== "done") continue;
        // Unchanged since this commander's last check (the state replaces a call's state, never changes it): nothing to compare.
        if (this.seenOutcome.get(call) === call.state) continue;
        this.seenOutcome.set(call, call.state);
        const key = `${id}#${call.seq}`;
        const { outcome, finishedAt } = call.state;
        const taken = call.kind === "stage" && call.state.is === "done" ? call.state : null;
        const result = JSON.stringify([taken?.node ?? null, taken?.startedAt ?? (call.kind === "job" ? call.startedAt : null), finishedAt, outcome]);
        const before = this.accepted.get(key);
        if (before === undefined) {
          this.accepted.set(key, result);
          if (taken) this.checkOutput(key, call.target, call.input, outcome, taken.node);
        } else if (before !== result) {
          this.fail("one-result-per-call", `c${c.index}#${c.incarnation}: call ${key} had result ${before}, now ${result}`);
        }
      }
    }
  }

  /** An accepted stage result is what the (pure) stage gives for that input. */
  private checkOutput(key: string, stage: string, input: Payload, outcome: CallOutcome<Payload>, node: string | undefined): void {
    let truth: { ok: true; value: Value } | { ok: false; message: string };
    try {
      truth = { ok: true, value: runStage(corpus.stages.get(stage)!, openInline(input), { freezeInput: true }) };
    } catch (error) {
      truth = { ok: false, message: errorMessage(error) };
    }
    const right = truth.ok ? outcome.ok && sameValue(openInline(outcome.value), truth.value) : !outcome.ok && outcome.error.message === truth.message;
    if (!right) this.fail("result-is-the-stage-output", `call ${key} (${stage}) accepted ${JSON.stringify(outcome.ok ? openInline(outcome.value) : outcome.error)} from ${node}`);
  }

  /** Each commander's live state equals the state its applied entries rebuild. */
  private checkStates(): void {
    for (const c of this.commanders) {
      if (!c.driver) continue;
      const live = c.driver.state.snapshot();
      const rebuilt = c.shadow.snapshot();
      if (!sameJson(live, rebuilt)) {
        const [a, b] = [JSON.stringify(live), JSON.stringify(rebuilt)];
        this.fail("rebuilt-equals-live", `c${c.index}#${c.incarnation}: live state differs from its log rebuilt (${firstDifference(a, b)})`);
      }
    }
  }

  // ---- backends: the stage Worker and the runners ---------------------------------------

  private backends(): Backends {
    return {
      // The plane's own Worker: trusted, never lies; a call on it dies with the commander that sent it.
      worker: async (stage, input) => {
        const startedAt = this.time.now();
        await this.sleep(1 + this.rng.int(20));
        const outcome = await runHere(corpus, this.payloads, stage, input);
        return { outcome, startedAt, finishedAt: this.time.now() };
      },
      sendToRunner: async ({ id }, request) => {
        const runner = this.runners.get(id)!;
        if (!runner.up) throw new PaxflowError("call-timeout", `runner ${id} is down`);
        void this.runCall(runner, runner.epoch, request);
      },
      probeRunner: async ({ id }) => {
        if (!this.runners.get(id)!.up) throw new PaxflowError("call-timeout", `runner ${id} is down`);
        return { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 };
      },
    };
  }

  private async runCall(runner: SimRunner, epoch: number, request: { job: string; seq: number; attempt: number; stage: string; input: Payload; deadlineAt: number }): Promise<void> {
    const behaviour = runner.behaviour;
    if (behaviour === "hangs") {
      this.count("runner-hangs");
      return;
    }
    const startedAt = this.time.now();
    await this.sleep(2 + this.rng.int(25));
    if (behaviour === "crashes" && this.rng.chance(0.3)) {
      // Down for a while, with every call it held.
      runner.up = false;
      runner.epoch++;
      this.count("runner-crashes");
      void this.sleep(100 + this.rng.int(400)).then(() => (runner.up = true));
      return;
    }
    if (runner.epoch !== epoch) return;
    let outcome = await runHere(corpus, this.payloads, request.stage, request.input);
    if (behaviour === "lies" && outcome.ok) {
      this.count("runner-lies");
      outcome = { ok: true, value: await this.payloads.seal(sealable(wrong(openInline(outcome.value)))) };
    }
    if (behaviour === "late") {
      this.count("runner-answers-late");
      await this.sleep(request.deadlineAt - this.time.now() + this.rng.int(200));
    }
    const report = { node: runner.spec.id, job: request.job, seq: request.seq, attempt: request.attempt, outcome, startedAt, finishedAt: this.time.now() };
    await this.report(report);
    if (behaviour === "twice") {
      // The second report of the same run, later (the runner did not see the first answer).
      this.count("runner-answers-twice");
      await this.sleep(this.rng.int(50));
      await this.report(report);
    }
  }

  /** A runner posts its result to the API, retrying while the shard changes leader. */
  private async report(report: Parameters<JobDriver["offerResult"]>[0]): Promise<void> {
    for (let tries = 0; tries < 10 && !this.stopped; tries++) {
      const c = this.pick();
      if (c) {
        try {
          await c.driver!.offerResult(report);
          return;
        } catch {
          // Not the leader, or closed meanwhile: try again.
        }
      }
      await this.sleep(20 + this.rng.int(40));
    }
  }

  private async heartbeats(runner: SimRunner): Promise<void> {
    while (!this.stopped) {
      await this.sleep(1_000);
      const c = this.pick();
      if (runner.up && c) await c.driver!.heartbeat(runner.spec.id, { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }).catch(quiet);
    }
  }
}

/**
 * A job that ran out of backends while faults went on: the plane gives a call five attempts, and
 * faults can use them all up (hung runners, a liar outvoted, and attempts that died with their
 * commander: those count too, and an orphaned attempt on the Worker keeps the Worker from that
 * call; see the report of issue 16). Such a job failed for good before the faults healed; every
 * other job must end as runLocally ends it. The last of those attempts may end a little after
 * the faults (its deadline, a drain): GRACE_MS after them counts as under faults too.
 */
const gaveUpUnderFaults = (view: JobView, healedAt: number | null): boolean =>
  view.status === "failed" && healedAt !== null && (view.finishedAt ?? Infinity) <= healedAt + GRACE_MS && /NoBackend/.test(`${view.error?.name} ${view.error?.message}`);

/** Snapshots that may be equal share this key (cheap to compute; sameJson decides). */
const snapshotKey = (s: JobsSnapshot): string => `${s.jobs.length}/${s.finishedOrder.length}/${JSON.stringify(s.counters)}`;

/** Whether two plain-JSON values would serialise alike (undefined properties count as absent), without serialising them. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let count = 0;
  for (const key in x) {
    if (x[key] === undefined) continue;
    count++;
    if (!sameJson(x[key], y[key])) return false;
  }
  for (const key in y) if (y[key] !== undefined) count--;
  return count === 0;
}

/** Where two JSON texts first differ, with a little context. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}: …${a.slice(Math.max(0, i - 60), i + 40)}… vs …${b.slice(Math.max(0, i - 60), i + 40)}…`;
}

export function runJobSchedule(options: JobSimOptions): Promise<JobScheduleResult> {
  return new JobSchedule(options).run();
}

export interface JobSimReport {
  readonly variant: string;
  readonly seeds: number;
  readonly firstSeed: number;
  readonly jobs: number;
  readonly jobsDone: number;
  readonly decisions: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly violations: readonly JobViolation[];
}

export interface SimulateJobsRun {
  readonly onProgress?: (done: number) => void;
  /** For a broken plane, where one catch is enough. */
  readonly stopAtFirst?: boolean;
}

/** Runs `seeds` seeds from firstSeed on (firstSeed, firstSeed+1, ...). */
export async function simulateJobs(
  seeds: number,
  firstSeed: number,
  options: Partial<Omit<JobSimOptions, "seed">> = {},
  { onProgress, stopAtFirst = false }: SimulateJobsRun = {},
): Promise<JobSimReport> {
  const opts = { ...DEFAULT_JOB_SIM_OPTIONS, ...options };
  const violations: JobViolation[] = [];
  const faults: Record<string, number> = {};
  let jobs = 0;
  let jobsDone = 0;
  let decisions = 0;
  let ran = 0;
  for (let seed = firstSeed; ran < seeds && !(stopAtFirst && violations.length > 0); seed++) {
    ran++;
    const result = await runJobSchedule({ ...opts, seed });
    jobs += result.jobs;
    jobsDone += result.jobsDone;
    decisions += result.decisions;
    for (const [k, v] of Object.entries(result.faults)) faults[k] = (faults[k] ?? 0) + v;
    if (result.violation) violations.push(result.violation);
    onProgress?.(ran);
  }
  return { variant: opts.variant.name, seeds: ran, firstSeed, jobs, jobsDone, decisions, faults, violations };
}

/** The command that replays one seed. */
export const replayCommand = (v: JobViolation, variant: string, steps: number): string =>
  `node cli/paxflow.mjs sim jobs --seeds 1 --seed ${v.seed} --variant ${variant}${steps === DEFAULT_JOB_SIM_OPTIONS.steps ? "" : ` --steps ${steps}`}`;
