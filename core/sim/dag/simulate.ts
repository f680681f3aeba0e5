/**
 * `paxflow simulate`: a discrete-event simulation of a DAG on a cluster whose command plane is
 * the product's job-plane core (core/jobs/job-core.ts, through the shell in plane.ts) with the
 * policy's scheduler in it. Pure: no I/O, no clock, randomness from the seed only.
 *
 * What is the product's (JobCore and the rules it applies, core/jobs/recovery.ts and state.ts):
 * where a call goes and when it is given up on — the first dispatch of every call (advance.ts
 * placeTogether / firstDispatch, with `inputOn` the bytes of its input each node holds), its
 * deadline (dispatch + the predicted wait + its stage's timeout at the node's speed + the
 * transfer), timeouts and re-dispatches, drains of nodes `suspicions()` judges failing
 * (`node.unresponsive`, their calls moved off), speculative backups of `stragglers()`, which
 * result counts (an offered result is proposed as a runner's is, result-offers.ts; the first
 * wins), and a node coming back when it heartbeats again (`heard` → probe → `node.back`). Every
 * decision is chosen the moment it is proposed and control messages are free: the simulated
 * plane is one commander that never loses the lead, whose timer fires when the core asks
 * (`wakeAt`). No call is verified on a second node (the simulated nodes are honest).
 *
 * What is the simulated world:
 *
 * - **The DAG's job**: a job whose step (plane.ts `advance`) makes the calls of the tasks whose
 *   inputs are all done, in file order (under a static plan, HEFT's, in planned order; its
 *   scheduler puts each on its planned node, predicting the wait until its planned start). No
 *   call goes out before its input exists, as in the product: sent earlier, a call's deadline
 *   would run while it waited for data, and its attempts would run out (MAX_ATTEMPTS).
 * - **A node** runs `slots` calls at once, each at `speed / factor` (speed-1 milliseconds of work
 *   per millisecond; `factor` > 1 while slowed). A call starts when a slot is free and all its
 *   inputs have arrived, taking queued calls in dispatch order (a HEFT slot: its planned order,
 *   strictly; later attempts run in any free slot). It runs a call to its end even after the
 *   plane gave up on it (a late result still counts if it is the first), and drops the other
 *   attempts of a call once the plane has its result. A node that is down cannot be sent to
 *   (the send fails). A crash loses the node's queued and running calls; on recovering it
 *   registers again, as a restarted runner does.
 * - **Data** moves between different nodes at latency + bytes / bandwidth per input, starting
 *   when both the producer has finished and the consumer's node is known (for a planned attempt,
 *   when the producer finished: the plan knew where its output would go and pushed it there); on
 *   the same node it is free (unless the node restarted since). Results also go to the plane's
 *   store, as in production, so a crash loses queued and running calls, never finished results.
 * - **Runtimes**: a task's real work is its declared runtime × e^(σ·Z) (σ = estimateNoise, Z
 *   standard normal, drawn per task from the seed, the same for every policy and every attempt
 *   of the task); the plane only ever sees the declared runtime.
 * - **Heartbeats** every `heartbeatMs` (±5% jitter) from live nodes, with their queue and
 *   in-flight counts, bytes moved, the mean compute time of their last calls and a speed probe
 *   (a fixed workload's time at the node's current rate, the faster of two runs with ±10% noise
 *   each); a crashed node is silent, a slowed one heartbeats on time, its probes as slow as its
 *   calls.
 * - **The report**: every `tickMs` the scheduler's `suspicions()` are sampled for the flags
 *   scored against the faults (a measurement: the core reads them itself when its timer fires).
 */
import { fnv1a } from "../../hash.ts";
import type { FreshCall } from "../../jobs/advance.ts";
import type { Decision, NodeLoad, NodeSpec } from "../../jobs/decisions.ts";
import { SPECULATIVE } from "../../jobs/recovery.ts";
import type { VerifyPolicy } from "../../jobs/verification.ts";
import type { LearningScheduler } from "../../sched/scheduler.ts";
import { defineStage } from "../../sdk/stage.ts";
import { createRegistry } from "../../sdk/registry.ts";
import { Random } from "../random.ts";
import { type Cluster, type ClusterNode, type Fault, canRun, checkRunnable, nodeSpec, transferMs } from "./cluster.ts";
import { type Dag, type DagTask, successors, taskCaps, topologicalOrder } from "./dag.ts";
import { Heap } from "../../heap.ts";
import { type BodyStep, SimPlane } from "./plane.ts";
import { type Policy, type PolicyName, createPolicy } from "./policies.ts";

export interface SimulateOptions {
  readonly policy?: PolicyName;
  readonly seed?: number;
  /** How often the report samples the scheduler's suspicions (simulated ms). Default 100. */
  readonly tickMs?: number;
  /** Heartbeat period of live nodes (ms). Default 1000. */
  readonly heartbeatMs?: number;
  /** Each task's stage declares a timeout of timeoutFactor × its declared runtime + 1 s (recovery.ts scales it per node). Default 3. */
  readonly timeoutFactor?: number;
  /** Run this scheduler instead of the policy's own (tests, ablations); the policy still names the run. */
  readonly scheduler?: LearningScheduler;
  /**
   * A yardstick, not a policy: the plane learns each fault the moment it happens, through the
   * core's own inputs (a crash: the node is marked unresponsive and its calls reported lost; a
   * slowdown or recovery: the node registers again with its new speed, and a slowed node hands
   * back the calls another node could take, dropping the queued ones and running the others on,
   * so each races its replacement). What perfect, instant failure detection buys.
   */
  readonly faultOracle?: boolean;
}

export interface FailurePrediction {
  readonly truePositive: number;
  readonly falsePositive: number;
  readonly falseNegative: number;
  /** Mean over true positives of (when the fault became visible − when the node was first flagged), s; null when none. */
  readonly meanLeadSeconds: number | null;
}

/** What `paxflow simulate --json` prints. */
export interface SimulationReport {
  /** Seconds until the last task finished. */
  readonly makespan: number;
  /** max(critical path with every task on its fastest eligible node, total work / total speed × slots), s, real runtimes. */
  readonly lowerBound: number;
  readonly policy: PolicyName;
  readonly tasks: number;
  readonly nodes: number;
  /** Calls run again because an attempt that had started was lost (crash, node marked failed) or timed out. */
  readonly reexecuted: number;
  /** Backups launched on stragglers() advice. */
  readonly speculative: number;
  readonly predictedFailures: FailurePrediction;
  /** Per node, busy slot time / (slots × makespan), wasted work included. */
  readonly utilization: Readonly<Record<string, number>>;
}

export type AttemptCause = "first" | "lost" | "timeout" | "drained" | "speculative";
/** won; cancelled (another attempt won first, or its result came after one); lost (its node crashed, or was down when it was sent); drained (the plane moved it off a node it drained, and it never ended on the node); given-up (the plane timed it out and it never ended on the node). */
export type AttemptEnd = "won" | "cancelled" | "lost" | "drained" | "given-up";

/** One attempt of one task, as it really went. Times in seconds; null: it never started / is still open. */
export interface AttemptRecord {
  readonly key: string;
  readonly task: string;
  readonly node: string;
  readonly cause: AttemptCause;
  readonly dispatchedAt: number;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  readonly end: AttemptEnd | null;
}

/** A fault episode (a slow or crash fault until its recover) and whether it was flagged. */
export interface FaultEpisode {
  readonly node: string;
  readonly kind: "slow" | "crash";
  /** Seconds. */
  readonly at: number;
  readonly until: number | null;
  /** First flag (suspect or failed) in the episode's window, s; null: missed. */
  readonly flaggedAt: number | null;
  /** When the fault became visible as a failure: a crash at once; a slowdown when the first call running there would have passed its timeout had nobody intervened (null: none would have). */
  readonly visibleAt: number | null;
  /** visibleAt − flaggedAt (s): positive means flagged before a timeout-based plane could have noticed. */
  readonly lead: number | null;
}

export interface SimulationResult {
  readonly report: SimulationReport;
  readonly attempts: readonly AttemptRecord[];
  readonly episodes: readonly FaultEpisode[];
  /** Flag intervals per node (s), from suspicions(): [onset, end or null]. */
  readonly flags: Readonly<Record<string, readonly (readonly [number, number | null])[]>>;
  /** Attempts the plane moved off nodes it drained (call.timeout, ending refused). */
  readonly drained: number;
  /** Attempts the plane gave up on as silent: past their deadline, or their node lost or removed (call.timeout, ending silent). */
  readonly timeouts: number;
  /** Simulated events processed. */
  readonly events: number;
}

/** A speed probe's time on a speed-1 node (ms), and its log-normal noise: the reference workload runs at the node's current rate like any call. */
const PROBE_MS = 2;
const PROBE_NOISE = 0.1;

/** Seconds before a fault's onset within which a flag counts as predicting it; and after its recover, as its tail. */
const PREDICTION_HORIZON_MS = 10_000;
const RECOVERY_GRACE_MS = 10_000;

/** The simulated DAG's job id. */
const JOB = "dag";

/**
 * No call is verified on a second node: the simulated nodes are honest, and what is compared is
 * schedules (the product's default, DEFAULT_VERIFY_POLICY, verifies each new runner's first calls).
 */
const NO_VERIFY: VerifyPolicy = { fraction: 0, newNodeCalls: 0 };

interface TaskState {
  readonly spec: DagTask;
  /** Its stage's ref in the simulated registry. */
  readonly ref: string;
  /** Real work: ms on a speed-1 node. */
  readonly work: number;
  readonly declaredMs: number;
  /** Producer -> bytes read from it. */
  readonly reads: ReadonlyMap<string, number>;
  readonly inputBytes: number;
  readonly consumers: readonly string[];
  /** Its call's number in the job's log, once the job made it. */
  seq: number | null;
  /** Producers not done yet. */
  waiting: number;
  done: boolean;
  doneAt: number;
  winner: Attempt | null;
  readonly attempts: Attempt[];
}

/** One attempt as the node holds it (the plane's view of it is the core's). */
interface Attempt {
  readonly key: string;
  readonly task: TaskState;
  readonly number: number;
  readonly node: SimNode;
  readonly cause: AttemptCause;
  readonly dispatchedAt: number;
  readonly priority: number;
  readonly order: number;
  readonly pinnedSlot: number | null;
  readonly incarnation: number;
  /** When the plane would give up on it (its deadline). */
  readonly deadline: number;
  /** Producer -> when its data is on this node. */
  readonly arrivals: Map<string, number>;
  truth: "queued" | "running" | "done" | "lost" | "cancelled";
  end: AttemptEnd | null;
  slot: number | null;
  startedAt: number | null;
  endedAt: number | null;
  remaining: number;
  lastAt: number;
  version: number;
}

interface SimNode {
  readonly spec: ClusterNode;
  alive: boolean;
  incarnation: number;
  factor: number;
  readonly slots: (Attempt | null)[];
  /** Under a static plan: each slot's tasks, in planned order. */
  readonly planned: string[][];
  queue: Attempt[];
  busyMs: number;
  bytesIn: number;
  bytesOut: number;
  readonly recent: number[];
  readonly wakes: Set<number>;
  readonly beats: Random;
  /** Noise of its speed probes. */
  readonly probes: Random;
  flagged: boolean;
  readonly flags: [number, number | null][];
}

type Event =
  | { readonly at: number; readonly order: number; readonly seq: number; readonly kind: "fault"; readonly fault: Fault }
  | { readonly at: number; readonly order: number; readonly seq: number; readonly kind: "finish"; readonly attempt: Attempt; readonly version: number }
  | { readonly at: number; readonly order: number; readonly seq: number; readonly kind: "wake" | "beat"; readonly node: SimNode }
  | { readonly at: number; readonly order: number; readonly seq: number; readonly kind: "timer" | "sample" };

type NewEvent = Event extends infer E ? (E extends Event ? Omit<E, "seq" | "order"> : never) : never;

const ORDER = { fault: 0, finish: 1, wake: 2, beat: 3, timer: 4, sample: 5 } as const;

/** An independent stream per purpose, so e.g. the noise is the same whatever the policy does. */
export const subSeed = (seed: number, label: string): number => fnv1a(label, (Math.imul(seed >>> 0, 0x9e3779b1) ^ 0x85ebca6b) >>> 0);

function normal(rng: Random): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Real runtime factors per task (file order), e^(σ·Z): the same for every policy under one seed. */
export function noiseFactors(dag: Dag, sigma: number, seed: number): number[] {
  const rng = new Random(subSeed(seed, "noise"));
  return dag.tasks.map(() => (sigma === 0 ? 1 : Math.exp(sigma * normal(rng))));
}

/** max(critical path on the fastest eligible node, total work / total capacity), in ms, for the given work per task. */
export function lowerBoundMs(dag: Dag, cluster: Cluster, workMs: readonly number[]): number {
  const index = new Map(dag.tasks.map((t, i) => [t.id, i]));
  const finish = new Map<string, number>();
  for (const id of topologicalOrder(dag)) {
    const i = index.get(id)!;
    const task = dag.tasks[i]!;
    const fastest = Math.max(...cluster.nodes.filter((n) => canRun(n, taskCaps(task))).map((n) => n.speed));
    const start = Math.max(0, ...task.inputs.map((input) => finish.get(input.from)!));
    finish.set(id, start + workMs[i]! / fastest);
  }
  const path = Math.max(...finish.values());
  const capacity = cluster.nodes.reduce((s, n) => s + n.speed * n.slots, 0);
  return Math.max(path, workMs.reduce((s, w) => s + w, 0) / capacity);
}

export function simulate(dag: Dag, cluster: Cluster, options: SimulateOptions = {}): SimulationResult {
  checkRunnable(dag, cluster);
  return new Simulation(dag, cluster, options).run();
}

class Simulation {
  private now = 0;
  private seq = 0;
  private events = 0;
  private readonly heap = new Heap<Event>((a, b) => a.at < b.at || (a.at === b.at && (a.order < b.order || (a.order === b.order && a.seq < b.seq))));
  private readonly tasks = new Map<string, TaskState>();
  /** Tasks by their call's number in the job's log. */
  private readonly calls: TaskState[] = [];
  private readonly nodes = new Map<string, SimNode>();
  private readonly allAttempts: Attempt[] = [];
  private readonly policy: Policy;
  private readonly plane: SimPlane;
  private readonly scheduler: LearningScheduler;
  private readonly tickMs: number;
  private readonly heartbeatMs: number;
  private readonly faultOracle: boolean;
  private readonly workMs: number[];
  /** Under a static plan: each task's place in planned start order. */
  private readonly planned = new Map<string, number>();
  /** When the leader's timer is set for, if it is. */
  private timerAt: number | null = null;
  private left: number;
  private reexecuted = 0;
  private speculative = 0;
  private drained = 0;
  private timeouts = 0;
  private readonly horizon: number;

  constructor(
    private readonly dag: Dag,
    private readonly cluster: Cluster,
    options: SimulateOptions,
  ) {
    const seed = options.seed ?? 1;
    this.tickMs = options.tickMs ?? 100;
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
    const timeoutFactor = options.timeoutFactor ?? 3;
    this.faultOracle = options.faultOracle ?? false;
    const factors = noiseFactors(dag, cluster.estimateNoise, seed);
    this.workMs = dag.tasks.map((t, i) => t.runtime * 1000 * factors[i]!);
    const refs = new Map<string, string>();
    const stages: Record<string, unknown> = {};
    const consumers = successors(dag);
    for (const [index, spec] of dag.tasks.entries()) {
      const reads = new Map<string, number>();
      for (const input of spec.inputs) reads.set(input.from, (reads.get(input.from) ?? 0) + input.bytes);
      const declaredMs = spec.runtime * 1000;
      // One stage per task, named by its position (task ids need not be valid stage names).
      const stage = defineStage({
        name: `dag/t${index}`,
        version: 1,
        caps: taskCaps(spec),
        timeoutMs: timeoutFactor * declaredMs + 1_000,
        cost: { runtimeMs: () => declaredMs, outputBytes: () => spec.outputBytes },
        run: () => null,
      });
      stages[stage.ref] = stage;
      refs.set(stage.ref, spec.id);
      this.tasks.set(spec.id, {
        spec,
        ref: stage.ref,
        work: this.workMs[index]!,
        declaredMs,
        reads,
        inputBytes: [...reads.values()].reduce((s, b) => s + b, 0),
        consumers: consumers.get(spec.id)!,
        seq: null,
        waiting: reads.size,
        done: false,
        doneAt: 0,
        winner: null,
        attempts: [],
      });
    }
    this.left = dag.tasks.length;
    for (const spec of cluster.nodes) {
      this.nodes.set(spec.id, {
        spec,
        alive: true,
        incarnation: 0,
        factor: 1,
        slots: new Array<Attempt | null>(spec.slots).fill(null),
        planned: Array.from({ length: spec.slots }, () => []),
        queue: [],
        busyMs: 0,
        bytesIn: 0,
        bytesOut: 0,
        recent: [],
        wakes: new Set(),
        beats: new Random(subSeed(seed, `beats/${spec.id}`)),
        probes: new Random(subSeed(seed, `probes/${spec.id}`)),
        flagged: false,
        flags: [],
      });
    }
    this.policy = createPolicy(options.policy ?? "paxflow", {
      dag,
      cluster,
      seed: subSeed(seed, "policy"),
      heartbeatMs: this.heartbeatMs,
      taskOf: (ref) => refs.get(ref) ?? ref,
    });
    const plan = this.policy.plan;
    if (plan) {
      // Planned start order, ties in topological order (a zero-length task may start when its consumer does).
      const topo = new Map(topologicalOrder(dag).map((id, i) => [id, i]));
      const order = [...plan.assignments.entries()].sort(([x, a], [y, b]) => a.start - b.start || topo.get(x)! - topo.get(y)!);
      for (const [rank, [id, a]] of order.entries()) {
        this.nodes.get(a.node)!.planned[a.slot]!.push(id);
        this.planned.set(id, rank);
      }
    }
    this.scheduler = options.scheduler ?? this.policy.scheduler;
    this.plane = new SimPlane({
      registry: createRegistry(stages),
      scheduler: this.scheduler,
      verify: NO_VERIFY,
      step: () => this.step(),
      applied: (d) => this.applied(d),
      deliver: (send) => this.deliver(send.decision, send.deadlineAt),
    });
    const slowest = Math.min(...cluster.nodes.map((n) => n.speed));
    const serial = dag.tasks.reduce((s, t, i) => s + this.workMs[i]! / slowest + t.inputs.reduce((x, input) => x + transferMs(cluster.network, input.bytes), 0), 0);
    const lastFault = Math.max(0, ...cluster.faults.map((f) => f.at * 1000));
    this.horizon = lastFault + 20 * serial * Math.max(1, ...cluster.faults.map((f) => f.factor ?? 1)) + 3_600_000;
  }

  private push(e: NewEvent): void {
    this.heap.push({ ...e, order: ORDER[e.kind], seq: this.seq++ } as Event);
  }

  run(): SimulationResult {
    for (const node of this.nodes.values()) this.push({ kind: "beat", at: node.beats.next() * this.heartbeatMs, node });
    for (const fault of this.cluster.faults) this.push({ kind: "fault", at: fault.at * 1000, fault });
    this.push({ kind: "sample", at: this.tickMs });
    this.plane.start(JOB, [...this.nodes.values()].map((n) => this.nodeSpec(n)), 0);
    this.arm();
    while (this.left > 0) {
      const e = this.heap.pop();
      if (!e) throw new Error("simulation stalled: no events left");
      this.now = e.at;
      this.events++;
      if (this.now > this.horizon) {
        const stuck = [...this.tasks.values()].filter((t) => !t.done).map((t) => t.spec.id);
        throw new Error(`simulation did not finish by ${(this.horizon / 1000).toFixed(0)} s: tasks ${stuck.slice(0, 10).join(", ")} never completed`);
      }
      switch (e.kind) {
        case "fault":
          this.fault(e.fault);
          break;
        case "finish":
          this.finish(e.attempt, e.version);
          break;
        case "wake":
          e.node.wakes.delete(e.at);
          this.tryStart(e.node);
          break;
        case "beat":
          this.beat(e.node);
          break;
        case "timer":
          if (e.at !== this.timerAt) break; // superseded by an earlier one
          this.timerAt = null;
          this.plane.tick(this.now);
          break;
        case "sample":
          this.sample();
          break;
      }
      this.arm();
    }
    return this.result();
  }

  /** Sets the leader's timer for when the core wants to look again. */
  private arm(): void {
    const wake = this.plane.wakeAt(this.now);
    if (wake === null) return;
    const at = Math.max(wake, this.now + 1);
    if (this.timerAt !== null && this.timerAt <= at) return;
    this.timerAt = at;
    this.push({ kind: "timer", at });
  }

  // ---- the job -----------------------------------------------------------------------

  /**
   * The DAG job's step: the calls of the tasks that became ready (their inputs all done), in
   * file order, or under a static plan in planned order. Done once every task is.
   */
  private step(): BodyStep {
    if (this.left === 0) return { kind: "done", output: { stored: { r2: `sim/${JOB}/output`, bytes: 0 } } };
    const ready = [...this.tasks.values()].filter((t) => t.seq === null && t.waiting === 0);
    const fresh = this.planned.size > 0 ? ready.sort((a, b) => this.planned.get(a.spec.id)! - this.planned.get(b.spec.id)!) : ready;
    const calls: FreshCall[] = fresh.map((task) => {
      task.seq = this.calls.length;
      this.calls.push(task);
      return { seq: task.seq, stage: task.ref, input: { stored: { r2: `sim/${JOB}/input/${task.spec.id}`, bytes: task.inputBytes } }, inputOn: this.inputOn(task) };
    });
    return { kind: "calls", calls };
  }

  /** Bytes of the task's input already on each node: what each finished producer's winner left there. */
  private inputOn(task: TaskState): Map<string, number> {
    const on = new Map<string, number>();
    for (const [from, bytes] of task.reads) {
      const w = this.tasks.get(from)!.winner;
      if (w) on.set(w.node.spec.id, (on.get(w.node.spec.id) ?? 0) + bytes);
    }
    return on;
  }

  /** What the world and the report follow in the log. */
  private applied(d: Decision): void {
    switch (d.type) {
      case "call.result":
        this.resulted(this.calls[d.seq]!);
        return;
      case "call.timeout": {
        if (d.ending === "refused") this.drained++;
        else this.timeouts++;
        const a = this.calls[d.seq]!.attempts.find((x) => x.number === d.attempt);
        // The plane gave up on it; the node, if it still has it, runs it on (a late result still counts).
        if (a && a.end === null) a.end = d.ending === "refused" ? "drained" : "given-up";
        return;
      }
      case "job.finished":
        if (!d.outcome.ok) throw new Error(`the simulated job failed: ${d.outcome.error.message}`);
        return;
      default:
        return;
    }
  }

  /** A call got its result: its winner's data goes to the consumers, and its node drops the others. */
  private resulted(task: TaskState): void {
    const call = this.plane.core.state.job(JOB)?.calls[task.seq!];
    if (task.done || call?.kind !== "stage" || call.state.is !== "done") return;
    const { node, finishedAt } = call.state;
    const winner = task.attempts.find((a) => a.node.spec.id === node && a.truth === "done" && a.endedAt === finishedAt)!;
    task.done = true;
    task.doneAt = this.now;
    task.winner = winner;
    winner.end = "won";
    this.left--;
    const touched = new Set<SimNode>();
    for (const other of task.attempts) {
      if (other === winner) continue;
      if (other.truth !== "queued" && other.truth !== "running") continue;
      this.stop(other, "cancelled");
      touched.add(other.node);
    }
    for (const id of task.consumers) {
      const consumer = this.tasks.get(id)!;
      consumer.waiting--;
      for (const c of consumer.attempts) {
        if (c.truth !== "queued") continue;
        this.arrive(c, task);
        touched.add(c.node);
      }
    }
    for (const n of touched) this.tryStart(n);
  }

  /** A call the plane sent: onto its node's queue, or refused when the node is down. */
  private deliver(d: Extract<Decision, { type: "call.dispatched" }>, deadline: number): boolean {
    const task = this.calls[d.seq]!;
    const node = this.nodes.get(d.node)!;
    const cause = this.cause(task, d);
    if (cause === "speculative") this.speculative++;
    else if (d.attempt > 1 && task.attempts.some((x) => x.startedAt !== null)) this.reexecuted++;
    const planned = this.policy.plan?.assignments.get(task.spec.id);
    const a: Attempt = {
      key: `${task.spec.id}/${d.attempt}`,
      task,
      number: d.attempt,
      node,
      cause,
      dispatchedAt: this.now,
      priority: cause === "speculative" ? this.now : (planned?.start ?? this.now),
      order: this.seq++,
      pinnedSlot: cause === "first" && planned?.node === node.spec.id ? planned.slot : null,
      incarnation: node.incarnation,
      deadline,
      arrivals: new Map(),
      truth: "queued",
      end: null,
      slot: null,
      startedAt: null,
      endedAt: null,
      remaining: 0,
      lastAt: 0,
      version: 0,
    };
    task.attempts.push(a);
    this.allAttempts.push(a);
    if (!node.alive) {
      a.truth = "lost";
      a.end = "lost";
      a.endedAt = this.now;
      return false;
    }
    let i = node.queue.length;
    while (i > 0 && (node.queue[i - 1]!.priority > a.priority || (node.queue[i - 1]!.priority === a.priority && node.queue[i - 1]!.order > a.order))) i--;
    node.queue.splice(i, 0, a);
    for (const from of task.reads.keys()) {
      const producer = this.tasks.get(from)!;
      if (producer.done) this.arrive(a, producer);
    }
    this.tryStart(node);
    return true;
  }

  /** Why an attempt was sent, from the dispatch and how the attempt before it really ended. */
  private cause(task: TaskState, d: Extract<Decision, { type: "call.dispatched" }>): AttemptCause {
    if (d.attempt === 1) return "first";
    if (d.reason.startsWith(SPECULATIVE)) return "speculative";
    const before = task.attempts.at(-1);
    return before?.end === "drained" ? "drained" : before?.truth === "lost" ? "lost" : "timeout";
  }

  /** Schedules the producer's data onto the attempt's node. */
  private arrive(a: Attempt, producer: TaskState): void {
    const src = producer.winner!;
    const local = src.node === a.node && src.incarnation === a.node.incarnation;
    const bytes = a.task.reads.get(producer.spec.id)!;
    if (!local) a.node.bytesIn += bytes;
    // A planned attempt's data was pushed to its node when it was made (the plan knew where it would go).
    const from = a.pinnedSlot === null ? Math.max(a.dispatchedAt, producer.doneAt) : producer.doneAt;
    a.arrivals.set(producer.spec.id, from + (local ? 0 : transferMs(this.cluster.network, bytes)));
  }

  // ---- nodes -------------------------------------------------------------------------

  /** What the node registers as: its declared spec, or under the fault oracle its speed as it is now. */
  private nodeSpec(node: SimNode): NodeSpec {
    const spec = nodeSpec(node.spec, this.cluster.network);
    if (!this.faultOracle) return spec;
    const speed = this.rate(node);
    return { ...spec, speed: { cpu: speed, simd: speed } };
  }

  private rate(node: SimNode): number {
    return node.spec.speed / node.factor;
  }

  private readyAt(a: Attempt): number | null {
    if (a.arrivals.size < a.task.reads.size) return null;
    let t = a.dispatchedAt;
    for (const at of a.arrivals.values()) t = Math.max(t, at);
    return t;
  }

  private runnable(a: Attempt): boolean {
    const t = this.readyAt(a);
    return t !== null && t <= this.now;
  }

  private tryStart(node: SimNode): void {
    if (!node.alive) return;
    for (let slot = 0; slot < node.slots.length; slot++) {
      if (node.slots[slot] !== null) continue;
      const pinned = this.nextPlanned(node, slot);
      const next = pinned && this.runnable(pinned) ? pinned : node.queue.find((a) => a.pinnedSlot === null && this.runnable(a));
      if (next) this.start(next, slot);
    }
    let wake = Infinity;
    for (const a of node.queue) {
      const t = this.readyAt(a);
      if (t !== null && t > this.now) wake = Math.min(wake, t);
    }
    if (wake < Infinity && !node.wakes.has(wake)) {
      node.wakes.add(wake);
      this.push({ kind: "wake", at: wake, node });
    }
  }

  /**
   * The attempt a slot of a static plan runs next: its next planned task's, once that task's call
   * is here. The slot keeps its place for a planned task whose call is not made yet, and skips
   * one that is done or whose call went elsewhere or was lost here.
   */
  private nextPlanned(node: SimNode, slot: number): Attempt | null {
    for (const id of node.planned[slot] ?? []) {
      const task = this.tasks.get(id)!;
      if (task.done) continue;
      if (task.seq === null) return null;
      const a = node.queue.find((x) => x.task === task && x.pinnedSlot === slot);
      if (a) return a;
    }
    return null;
  }

  private start(a: Attempt, slot: number): void {
    const node = a.node;
    node.queue = node.queue.filter((x) => x !== a);
    node.slots[slot] = a;
    a.slot = slot;
    a.truth = "running";
    a.startedAt = this.now;
    a.remaining = a.task.work;
    a.lastAt = this.now;
    this.scheduleFinish(a);
  }

  private scheduleFinish(a: Attempt): void {
    a.version++;
    this.push({ kind: "finish", at: this.now + a.remaining / this.rate(a.node), attempt: a, version: a.version });
  }

  /** Brings running attempts' remaining work up to now (before the node's rate changes). */
  private progress(node: SimNode): void {
    for (const a of node.slots) {
      if (!a) continue;
      a.remaining = Math.max(0, a.remaining - (this.now - a.lastAt) * this.rate(node));
      a.lastAt = this.now;
    }
  }

  /** Takes an attempt off its node (running or queued) without a result. */
  private stop(a: Attempt, truth: "lost" | "cancelled"): void {
    const node = a.node;
    if (a.truth === "running") {
      node.busyMs += this.now - a.startedAt!;
      node.slots[a.slot!] = null;
      a.version++;
    } else if (a.truth === "queued") {
      node.queue = node.queue.filter((x) => x !== a);
    } else {
      return;
    }
    a.truth = truth;
    a.endedAt = this.now;
    a.end = truth;
  }

  private fault(f: Fault): void {
    const node = this.nodes.get(f.node)!;
    if (f.kind === "crash") {
      if (!node.alive) return;
      const lost = [...node.slots, ...node.queue].filter((a): a is Attempt => a !== null);
      for (const a of lost) this.stop(a, "lost");
      node.alive = false;
      node.incarnation++;
      node.factor = 1;
      if (this.faultOracle) {
        this.plane.propose([{ type: "node.unresponsive", node: node.spec.id, at: this.now, reason: "fault oracle: it crashed" }], this.now);
        for (const a of lost) this.plane.lost({ job: JOB, seq: a.task.seq!, attempt: a.number, node: node.spec.id }, "fault oracle: its node crashed", "silent", this.now);
      }
      return;
    }
    const restarted = f.kind === "recover" && !node.alive;
    if (f.kind === "slow") {
      this.progress(node);
      node.factor = f.factor!;
    } else {
      // A crashed node comes back as a new incarnation: calls sent to it while it was down never arrived.
      if (restarted) node.incarnation++;
      node.alive = true;
      this.progress(node);
      node.factor = 1;
    }
    for (const a of node.slots) if (a) this.scheduleFinish(a);
    // A runner that starts again registers; the oracle's nodes re-register with every change of speed.
    if (restarted || this.faultOracle) this.plane.register(this.nodeSpec(node), this.now);
    if (this.faultOracle && node.factor > 1) {
      // It hands back what another node could take: the calls waiting in its queue go, the ones
      // running there run on and race their replacements (the first result wins).
      const elsewhere = (a: Attempt) => [...this.nodes.values()].some((n) => n !== node && n.alive && canRun(n.spec, taskCaps(a.task.spec)));
      const running = node.slots.filter((a): a is Attempt => a !== null);
      for (const a of [...node.queue, ...running].filter(elsewhere)) {
        if (a.truth === "queued") {
          this.stop(a, "cancelled");
          a.end = "drained";
        }
        this.plane.lost({ job: JOB, seq: a.task.seq!, attempt: a.number, node: node.spec.id }, "fault oracle: its node slowed down", "refused", this.now);
      }
    }
    this.tryStart(node);
  }

  private finish(a: Attempt, version: number): void {
    if (a.version !== version || a.truth !== "running") return;
    const node = a.node;
    const ran = this.now - a.startedAt!;
    node.busyMs += ran;
    node.slots[a.slot!] = null;
    a.truth = "done";
    a.endedAt = this.now;
    node.recent.push(ran);
    if (node.recent.length > 5) node.recent.shift();
    node.bytesOut += a.task.spec.outputBytes;
    const offer = { job: JOB, seq: a.task.seq!, attempt: a.number, node: node.spec.id, startedAt: a.startedAt!, finishedAt: this.now };
    if (!this.plane.offer(offer, a.task.spec.outputBytes, this.now).accepted) a.end = "cancelled";
    this.tryStart(node);
  }

  private beat(node: SimNode): void {
    this.push({ kind: "beat", at: this.now + this.heartbeatMs * (0.95 + 0.1 * node.beats.next()), node });
    if (!node.alive) return;
    const load: NodeLoad = {
      queue: node.queue.length,
      inFlight: node.slots.filter((a) => a !== null).length,
      bytesIn: node.bytesIn,
      bytesOut: node.bytesOut,
      ...(node.recent.length > 0 ? { recentComputeMs: node.recent.reduce((s, x) => s + x, 0) / node.recent.length } : {}),
      // As a runner measures it: the faster of two runs.
      probeMs: (PROBE_MS / this.rate(node)) * Math.exp(PROBE_NOISE * Math.min(normal(node.probes), normal(node.probes))),
    };
    this.plane.heartbeat(this.nodeSpec(node), load, this.now);
  }

  /** The report's sample of the scheduler's verdicts. */
  private sample(): void {
    this.push({ kind: "sample", at: this.now + this.tickMs });
    for (const s of this.scheduler.suspicions(this.now)) {
      const node = this.nodes.get(s.node);
      if (node) this.flag(node, s.verdict !== "healthy");
    }
  }

  private flag(node: SimNode, flagged: boolean): void {
    if (flagged && !node.flagged) node.flags.push([this.now, null]);
    if (!flagged && node.flagged) node.flags[node.flags.length - 1]![1] = this.now;
    node.flagged = flagged;
  }

  // ---- the report --------------------------------------------------------------------

  private result(): SimulationResult {
    const makespanMs = Math.max(...[...this.tasks.values()].map((t) => t.doneAt));
    const s = (ms: number) => Number((ms / 1000).toFixed(3));
    const { episodes, prediction } = this.predictions();
    const utilization: Record<string, number> = {};
    for (const node of this.nodes.values()) utilization[node.spec.id] = makespanMs > 0 ? Number((node.busyMs / (node.spec.slots * makespanMs)).toFixed(4)) : 0;
    const report: SimulationReport = {
      makespan: s(makespanMs),
      lowerBound: s(lowerBoundMs(this.dag, this.cluster, this.workMs)),
      policy: this.policy.name,
      tasks: this.tasks.size,
      nodes: this.nodes.size,
      reexecuted: this.reexecuted,
      speculative: this.speculative,
      predictedFailures: prediction,
      utilization,
    };
    const flags: Record<string, (readonly [number, number | null])[]> = {};
    for (const node of this.nodes.values()) flags[node.spec.id] = node.flags.map(([a, b]) => [a / 1000, b === null ? null : b / 1000] as const);
    return {
      report,
      attempts: this.allAttempts.map((a) => ({
        key: a.key,
        task: a.task.spec.id,
        node: a.node.spec.id,
        cause: a.cause,
        dispatchedAt: a.dispatchedAt / 1000,
        startedAt: a.startedAt === null ? null : a.startedAt / 1000,
        endedAt: a.endedAt === null ? null : a.endedAt / 1000,
        end: a.end,
      })),
      episodes,
      flags,
      drained: this.drained,
      timeouts: this.timeouts,
      events: this.events,
    };
  }

  /**
   * Scores suspicions() against the faults. Each slow or crash fault is an episode from its
   * onset until its node's next recover; a flag interval overlapping [onset − 10 s, recover +
   * 10 s] is a true positive (flaggedAt: its onset, no earlier than the window), an episode no
   * flag overlaps a false negative, a flag interval overlapping no episode a false positive.
   */
  private predictions(): { episodes: FaultEpisode[]; prediction: FailurePrediction } {
    const episodes: FaultEpisode[] = [];
    const used = new Map<SimNode, Set<number>>();
    let tp = 0;
    let fn = 0;
    const leads: number[] = [];
    for (const [i, f] of this.cluster.faults.entries()) {
      if (f.kind === "recover") continue;
      const node = this.nodes.get(f.node)!;
      const at = f.at * 1000;
      const recover = this.cluster.faults.slice(i + 1).find((g) => g.node === f.node && g.kind === "recover");
      const until = recover ? recover.at * 1000 : null;
      const from = at - PREDICTION_HORIZON_MS;
      const to = until === null ? Infinity : until + RECOVERY_GRACE_MS;
      let flaggedAt: number | null = null;
      for (const [j, [onset, end]] of node.flags.entries()) {
        if (onset > to || (end !== null && end < from)) continue;
        if (!used.has(node)) used.set(node, new Set());
        used.get(node)!.add(j);
        flaggedAt = flaggedAt === null ? Math.max(onset, from) : Math.min(flaggedAt, Math.max(onset, from));
      }
      const visibleAt = f.kind === "crash" ? at : this.visibleSlowdown(node, at, until ?? Infinity);
      const lead = flaggedAt !== null && visibleAt !== null ? visibleAt - flaggedAt : null;
      if (flaggedAt !== null) tp++;
      else fn++;
      if (lead !== null) leads.push(lead);
      const s = (ms: number | null) => (ms === null ? null : Number((ms / 1000).toFixed(3)));
      episodes.push({ node: f.node, kind: f.kind, at: f.at, until: s(until), flaggedAt: s(flaggedAt), visibleAt: s(visibleAt), lead: s(lead) });
    }
    let fp = 0;
    for (const node of this.nodes.values()) fp += node.flags.filter((_, j) => !used.get(node)?.has(j)).length;
    const meanLeadSeconds = leads.length === 0 ? null : Number((leads.reduce((x, y) => x + y, 0) / leads.length / 1000).toFixed(3));
    return { episodes, prediction: { truePositive: tp, falsePositive: fp, falseNegative: fn, meanLeadSeconds } };
  }

  /**
   * When a slowdown from `at` to `until` would first have shown as a timeout: the earliest
   * deadline among calls that ran on the node in that period and, had nothing stopped them
   * (no backup, no cancellation), would have finished past it. Null when none would have.
   */
  private visibleSlowdown(node: SimNode, at: number, until: number): number | null {
    const changes = this.cluster.faults
      .filter((f) => f.node === node.spec.id && f.kind !== "crash")
      .map((f) => ({ at: f.at * 1000, factor: f.kind === "slow" ? f.factor! : 1 }));
    const factorAt = (t: number) => changes.filter((c) => c.at <= t).at(-1)?.factor ?? 1;
    let visible: number | null = null;
    for (const a of this.allAttempts) {
      if (a.node !== node || a.startedAt === null) continue;
      if (a.startedAt >= until || (a.endedAt ?? Infinity) <= at) continue;
      let t = a.startedAt;
      let work = a.task.work;
      let finish = Infinity;
      for (const next of [...changes.map((c) => c.at).filter((c) => c > t), Infinity]) {
        const rate = node.spec.speed / factorAt(t);
        if (work / rate <= next - t) {
          finish = t + work / rate;
          break;
        }
        work -= (next - t) * rate;
        t = next;
      }
      if (finish > a.deadline) visible = visible === null ? a.deadline : Math.min(visible, a.deadline);
    }
    return visible;
  }
}
