/**
 * `paxflow simulate`: a discrete-event simulation of a DAG on a cluster, driving the real
 * scheduler object (a LearningScheduler; core/jobs/placement.ts underneath) with a simulated
 * clock, network, nodes and faults. Pure: no I/O, no clock, randomness from the seed only.
 *
 * The model, in the order things happen:
 *
 * - **The plane** (the commander) learns of every completion, start and heartbeat at once
 *   (control messages are free); only data costs time. When a task's inputs are all done it
 *   asks the scheduler where to run it (`place`, with `inputOn` = the bytes of its input each
 *   node already holds) and sends it there (`dispatched`). A static policy (HEFT) instead sends
 *   every task to its planned slot at time 0.
 * - **A node** runs `slots` calls at once, each at `speed / factor` (speed-1 milliseconds of
 *   work per millisecond; `factor` > 1 while slowed). A call starts when a slot is free and
 *   all its inputs have arrived, taking queued calls in dispatch order (a HEFT slot: its
 *   planned order, strictly; calls re-sent after a failure run in any free slot).
 * - **Data** moves between different nodes at latency + bytes / bandwidth per input, starting
 *   when both the producer has finished and the consumer's node is known; on the same node it
 *   is free (unless the node restarted since). Results also go to the plane's store, as in
 *   production, so a crash loses queued and running calls, never finished results.
 * - **Runtimes**: a task's real work is its declared runtime × e^(σ·Z) (σ = estimateNoise, Z
 *   standard normal, drawn per task from the seed, the same for every policy and every attempt
 *   of the task); the scheduler only ever sees the declared runtime.
 * - **Heartbeats** every `heartbeatMs` (±5% jitter) from live nodes, with their queue and
 *   in-flight counts, bytes moved, the mean compute time of their last calls and a speed probe
 *   (a fixed workload's time at the node's current rate, the faster of two runs with ±10% noise
 *   each); a crashed node is silent,
 *   a slowed one heartbeats on time, its probes as slow as its calls.
 * - **Every tick** (`tickMs`), and after every completion, the plane applies the product's own
 *   rules (core/jobs/recovery.ts, the ones every leader applies): a call times out at its
 *   dispatch + predicted wait + its stage's timeout (`timeoutFactor` × its declared runtime + 1 s)
 *   at the node's speed + the transfer (`timedOut`; re-sent elsewhere, the original keeps
 *   running, the first result wins); a node `suspicions()` judges suspect or failed while it is
 *   up is drained: marked down (`nodeDown`), and every call the plane had there is re-sent,
 *   the originals running on; `stragglers()` (paxflow only) get a backup each (at most one per
 *   call; the first to finish wins, the other is cancelled). A node that heartbeats again comes
 *   back (`nodeUp`) unless it is still judged suspect; one that restarted loses what the plane
 *   had sent it, which is re-sent.
 */
import { fnv1a } from "../../hash.ts";
import type { Candidate, NodeLoad, NodeSpec } from "../../jobs/decisions.ts";
import { type PlacementRequest, longestFirst, speedFor } from "../../jobs/placement.ts";
import { attemptTimeoutMs, comesBack, drains } from "../../jobs/recovery.ts";
import type { LearningScheduler } from "../../sched/scheduler.ts";
import { Random } from "../random.ts";
import { type Cluster, type ClusterNode, type Fault, canRun, checkRunnable, nodeSpec, transferMs } from "./cluster.ts";
import { type Dag, type DagTask, successors, taskCaps, topologicalOrder } from "./dag.ts";
import { Heap } from "../../heap.ts";
import { type Policy, type PolicyName, createPolicy } from "./policies.ts";

export interface SimulateOptions {
  readonly policy?: PolicyName;
  readonly seed?: number;
  /** How often the plane checks timeouts, suspicions and stragglers (simulated ms). Default 100. */
  readonly tickMs?: number;
  /** Heartbeat period of live nodes (ms). Default 1000. */
  readonly heartbeatMs?: number;
  /** Each task's stage declares a timeout of timeoutFactor × its declared runtime + 1 s (recovery.ts scales it per node). Default 3. */
  readonly timeoutFactor?: number;
  /** Run this scheduler instead of the policy's own (tests, ablations); the policy still names the run. */
  readonly scheduler?: LearningScheduler;
  /**
   * A yardstick, not a policy: the plane and the scheduler learn each fault the moment it
   * happens (a crash: the node is marked down at once; a slowdown or recovery: the scheduler is
   * told the node's new speed by `nodeUp`, the slowed node's queued calls move and each call
   * running there gets a backup). What perfect, instant failure detection would buy.
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
/** won; cancelled (another attempt won first); lost (its node crashed); drained (moved off a suspect node before it started); given-up (its node was marked failed and the call re-sent, while it ran on: it ends won or cancelled if it ever finishes). */
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
  /** Attempts whose queued calls were moved off suspect nodes. */
  readonly drained: number;
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

interface TaskState {
  readonly spec: DagTask;
  /** Real work: ms on a speed-1 node. */
  readonly work: number;
  readonly declaredMs: number;
  /** The timeout its stage declares: timeoutFactor × its declared runtime + 1 s. */
  readonly timeoutMs: number;
  /** Producer -> bytes read from it. */
  readonly reads: ReadonlyMap<string, number>;
  readonly inputBytes: number;
  readonly consumers: readonly string[];
  readonly stage: PlacementRequest["stage"];
  waiting: number;
  ready: boolean;
  done: boolean;
  doneAt: number;
  winner: Attempt | null;
  readonly attempts: Attempt[];
  readonly timedOutOn: Set<string>;
  parked: boolean;
}

interface Attempt {
  readonly key: string;
  readonly task: TaskState;
  readonly node: SimNode;
  readonly cause: AttemptCause;
  readonly dispatchedAt: number;
  readonly priority: number;
  readonly seq: number;
  readonly pinnedSlot: number | null;
  readonly incarnation: number;
  /** Producer -> when its data is on this node. */
  readonly arrivals: Map<string, number>;
  truth: "queued" | "running" | "done" | "lost" | "cancelled";
  plane: "open" | "won" | "gone";
  end: AttemptEnd | null;
  slot: number | null;
  startedAt: number | null;
  endedAt: number | null;
  remaining: number;
  lastAt: number;
  version: number;
  readonly deadline: number;
  timedOut: boolean;
}

interface SimNode {
  readonly spec: ClusterNode;
  readonly nodeSpec: NodeSpec;
  alive: boolean;
  incarnation: number;
  factor: number;
  readonly slots: (Attempt | null)[];
  queue: Attempt[];
  busyMs: number;
  bytesIn: number;
  bytesOut: number;
  readonly recent: number[];
  /** What the plane holds of it: "up", or "down" (the product's "unresponsive"). */
  plane: "up" | "down";
  planeIncarnation: number;
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
  | { readonly at: number; readonly order: number; readonly seq: number; readonly kind: "tick" };

type NewEvent = Event extends infer E ? (E extends Event ? Omit<E, "seq" | "order"> : never) : never;

const ORDER = { fault: 0, finish: 1, wake: 2, beat: 3, tick: 4 } as const;

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
  private readonly nodes = new Map<string, SimNode>();
  private readonly allAttempts: Attempt[] = [];
  private readonly byKey = new Map<string, Attempt>();
  /** Attempts the plane believes are queued or running. */
  private readonly open = new Set<Attempt>();
  private readonly parked: TaskState[] = [];
  private readonly policy: Policy;
  private readonly scheduler: LearningScheduler;
  private readonly tickMs: number;
  private readonly heartbeatMs: number;
  private readonly timeoutFactor: number;
  private readonly faultOracle: boolean;
  private readonly workMs: number[];
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
    this.timeoutFactor = options.timeoutFactor ?? 3;
    this.faultOracle = options.faultOracle ?? false;
    const factors = noiseFactors(dag, cluster.estimateNoise, seed);
    this.workMs = dag.tasks.map((t, i) => t.runtime * 1000 * factors[i]!);
    const refs = new Map<string, string>();
    const consumers = successors(dag);
    for (const [index, spec] of dag.tasks.entries()) {
      const reads = new Map<string, number>();
      for (const input of spec.inputs) reads.set(input.from, (reads.get(input.from) ?? 0) + input.bytes);
      const ref = `${dag.name}/${spec.id}@1`;
      refs.set(ref, spec.id);
      const declaredMs = spec.runtime * 1000;
      this.tasks.set(spec.id, {
        spec,
        work: this.workMs[index]!,
        declaredMs,
        timeoutMs: this.timeoutFactor * declaredMs + 1_000,
        reads,
        inputBytes: [...reads.values()].reduce((s, b) => s + b, 0),
        consumers: consumers.get(spec.id)!,
        stage: { ref, caps: taskCaps(spec), cost: { runtimeMs: () => declaredMs, outputBytes: () => spec.outputBytes } },
        waiting: reads.size,
        ready: reads.size === 0,
        done: false,
        doneAt: 0,
        winner: null,
        attempts: [],
        timedOutOn: new Set(),
        parked: false,
      });
    }
    this.left = dag.tasks.length;
    for (const spec of cluster.nodes) {
      this.nodes.set(spec.id, {
        spec,
        nodeSpec: nodeSpec(spec, cluster.network),
        alive: true,
        incarnation: 0,
        factor: 1,
        slots: new Array<Attempt | null>(spec.slots).fill(null),
        queue: [],
        busyMs: 0,
        bytesIn: 0,
        bytesOut: 0,
        recent: [],
        plane: "up",
        planeIncarnation: 0,
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
    this.scheduler = options.scheduler ?? this.policy.scheduler;
    const slowest = Math.min(...cluster.nodes.map((n) => n.speed));
    const serial = dag.tasks.reduce((s, t, i) => s + this.workMs[i]! / slowest + t.inputs.reduce((x, input) => x + transferMs(cluster.network, input.bytes), 0), 0);
    const lastFault = Math.max(0, ...cluster.faults.map((f) => f.at * 1000));
    this.horizon = lastFault + 20 * serial * Math.max(1, ...cluster.faults.map((f) => f.factor ?? 1)) + 3_600_000;
  }

  private push(e: NewEvent): void {
    this.heap.push({ ...e, order: ORDER[e.kind], seq: this.seq++ } as Event);
  }

  run(): SimulationResult {
    for (const node of this.nodes.values()) {
      this.scheduler.nodeUp(node.nodeSpec, 0);
      this.push({ kind: "beat", at: node.beats.next() * this.heartbeatMs, node });
    }
    for (const fault of this.cluster.faults) this.push({ kind: "fault", at: fault.at * 1000, fault });
    this.push({ kind: "tick", at: this.tickMs });
    const plan = this.policy.plan;
    if (plan) {
      // Planned start order, ties in topological order (a zero-length task may start when its consumer does).
      const topo = new Map(topologicalOrder(this.dag).map((id, i) => [id, i]));
      const ordered = [...this.tasks.values()].sort(
        (a, b) => plan.assignments.get(a.spec.id)!.start - plan.assignments.get(b.spec.id)!.start || topo.get(a.spec.id)! - topo.get(b.spec.id)!,
      );
      for (const task of ordered) {
        const a = plan.assignments.get(task.spec.id)!;
        const predicted: Candidate = { node: a.node, finishAt: a.finish, waitMs: a.start, transferMs: 0, runMs: a.finish - a.start };
        this.createAttempt(task, this.nodes.get(a.node)!, predicted, "first", { pinnedSlot: a.slot, priority: a.start });
      }
    } else {
      this.dispatchReady([...this.tasks.values()].filter((task) => task.ready));
    }
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
        case "tick":
          this.tick();
          break;
      }
    }
    return this.result();
  }

  // ---- nodes -------------------------------------------------------------------------

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
      const pinned = node.queue.find((a) => a.pinnedSlot === slot);
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
    if (a.end === "given-up") a.end = truth;
  }

  private fault(f: Fault): void {
    const node = this.nodes.get(f.node)!;
    if (f.kind === "crash") {
      if (!node.alive) return;
      for (const a of node.slots) if (a) this.stop(a, "lost");
      for (const a of [...node.queue]) this.stop(a, "lost");
      node.alive = false;
      node.incarnation++;
      node.factor = 1;
      if (this.faultOracle && node.plane !== "down") this.markDown(node);
      return;
    }
    if (f.kind === "slow") {
      this.progress(node);
      node.factor = f.factor!;
    } else {
      // A crashed node comes back as a new incarnation: calls sent to it while it was down never arrived.
      if (!node.alive) node.incarnation++;
      node.alive = true;
      this.progress(node);
      node.factor = 1;
    }
    for (const a of node.slots) if (a) this.scheduleFinish(a);
    if (this.faultOracle) {
      const speed = node.spec.speed / node.factor;
      this.scheduler.nodeUp({ ...node.nodeSpec, speed: { cpu: speed, simd: speed } }, this.now);
      node.plane = "up";
      node.planeIncarnation = node.incarnation;
      if (node.factor > 1) {
        this.drain(node);
        // And a backup of every call running there (the first to finish wins).
        for (const a of node.slots) {
          if (!a || a.plane !== "open" || a.task.attempts.some((x) => x !== a && x.plane === "open")) continue;
          const placement = this.scheduler.place({ stage: a.task.stage, inputBytes: a.task.inputBytes, inputOn: this.inputOn(a.task), now: this.now, exclude: new Set([node.spec.id]) });
          const to = placement.ok ? this.nodes.get(placement.winner.node) : undefined;
          if (placement.ok && to && to.plane === "up") this.createAttempt(a.task, to, placement.winner, "speculative", { pinnedSlot: null, priority: this.now });
        }
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
    if (!a.task.done) this.win(a);
    else {
      a.plane = "gone";
      a.end = "cancelled";
    }
    this.tryStart(node);
    this.react();
  }

  private beat(node: SimNode): void {
    this.push({ kind: "beat", at: this.now + this.heartbeatMs * (0.95 + 0.1 * node.beats.next()), node });
    if (!node.alive) return;
    if (node.planeIncarnation !== node.incarnation) {
      // It restarted: whatever the plane had sent it is gone.
      node.planeIncarnation = node.incarnation;
      const lost = [...this.open].filter((a) => a.node === node && a.incarnation !== node.incarnation);
      for (const a of lost) this.close(a, "lost");
      this.resend(lost, "lost");
    }
    const load: NodeLoad = {
      queue: node.queue.length,
      inFlight: node.slots.filter((a) => a !== null).length,
      bytesIn: node.bytesIn,
      bytesOut: node.bytesOut,
      ...(node.recent.length > 0 ? { recentComputeMs: node.recent.reduce((s, x) => s + x, 0) / node.recent.length } : {}),
      // As a runner measures it: the faster of two runs.
      probeMs: (PROBE_MS / this.rate(node)) * Math.exp(PROBE_NOISE * Math.min(normal(node.probes), normal(node.probes))),
    };
    this.scheduler.heartbeat(node.spec.id, load, this.now);
    // As the leader does on a heartbeat (recovery.ts comesBack): an unresponsive node comes back unless it is judged running slow.
    const verdict = this.scheduler.suspicions(this.now).find((s) => s.node === node.spec.id)?.verdict ?? "healthy";
    if (node.plane === "down" && comesBack(verdict)) {
      this.scheduler.nodeUp(node.nodeSpec, this.now);
      node.plane = "up";
    }
  }

  // ---- the plane ---------------------------------------------------------------------

  /** Bytes of the task's input already on each node: what each finished producer's winner left there. */
  private inputOn(task: TaskState): Map<string, number> {
    const on = new Map<string, number>();
    for (const [from, bytes] of task.reads) {
      const w = this.tasks.get(from)!.winner;
      if (w) on.set(w.node.spec.id, (on.get(w.node.spec.id) ?? 0) + bytes);
    }
    return on;
  }

  /** Tasks that became ready together, placed in the plane's order (longestFirst, as the commander does for a job's fresh calls). */
  private dispatchReady(tasks: readonly TaskState[]): void {
    for (const task of longestFirst(tasks, (t) => t.declaredMs)) this.dispatch(task, "first");
  }

  private dispatch(task: TaskState, cause: AttemptCause, avoid: ReadonlySet<string> = new Set()): void {
    const unavailable = [...this.nodes.values()].filter((n) => n.plane !== "up").map((n) => n.spec.id);
    const down = [...this.nodes.values()].filter((n) => n.plane === "down").map((n) => n.spec.id);
    const tries = [new Set([...task.timedOutOn, ...avoid, ...unavailable]), new Set([...avoid, ...unavailable]), new Set(down)];
    const base = { stage: task.stage, inputBytes: task.inputBytes, inputOn: this.inputOn(task), now: this.now };
    for (const exclude of tries) {
      const placement = this.scheduler.place({ ...base, exclude });
      if (!placement.ok) continue;
      const node = this.nodes.get(placement.winner.node);
      if (!node || node.plane === "down") continue;
      const priority = this.policy.plan?.assignments.get(task.spec.id)?.start ?? this.now;
      this.createAttempt(task, node, placement.winner, cause, { pinnedSlot: null, priority });
      return;
    }
    if (!task.parked) {
      task.parked = true;
      this.parked.push(task);
    }
  }

  private createAttempt(task: TaskState, node: SimNode, predicted: Candidate, cause: AttemptCause, o: { pinnedSlot: number | null; priority: number }): Attempt {
    const a: Attempt = {
      key: `${task.spec.id}/${task.attempts.length + 1}`,
      task,
      node,
      cause,
      dispatchedAt: this.now,
      priority: o.priority,
      seq: this.seq++,
      pinnedSlot: o.pinnedSlot,
      incarnation: node.incarnation,
      arrivals: new Map(),
      truth: "queued",
      plane: "open",
      end: null,
      slot: null,
      startedAt: null,
      endedAt: null,
      remaining: 0,
      lastAt: 0,
      version: 0,
      // The product's rule (recovery.ts): from dispatch, the stage's timeout at the node's speed plus the transfer.
      deadline: this.now + attemptTimeoutMs(task.timeoutMs, speedFor(node.nodeSpec.speed, task.stage), predicted),
      timedOut: false,
    };
    task.attempts.push(a);
    this.allAttempts.push(a);
    this.byKey.set(a.key, a);
    this.open.add(a);
    if (cause === "speculative") this.speculative++;
    this.scheduler.dispatched({
      key: a.key,
      call: task.spec.id,
      stage: task.stage,
      inputBytes: task.inputBytes,
      inputOn: this.inputOn(task),
      node: node.spec.id,
      predicted,
      at: this.now,
      ...(cause === "speculative" ? { speculative: true } : {}),
    });
    if (!node.alive) {
      // Sent to a node that is down: it never arrives.
      a.truth = "lost";
      a.endedAt = this.now;
      return a;
    }
    let i = node.queue.length;
    while (i > 0 && (node.queue[i - 1]!.priority > a.priority || (node.queue[i - 1]!.priority === a.priority && node.queue[i - 1]!.seq > a.seq))) i--;
    node.queue.splice(i, 0, a);
    for (const from of task.reads.keys()) {
      const producer = this.tasks.get(from)!;
      if (producer.done) this.arrive(a, producer);
    }
    this.tryStart(node);
    return a;
  }

  /** Schedules the producer's data onto the attempt's node. */
  private arrive(a: Attempt, producer: TaskState): void {
    const src = producer.winner!;
    const local = src.node === a.node && src.incarnation === a.node.incarnation;
    const bytes = a.task.reads.get(producer.spec.id)!;
    if (!local) a.node.bytesIn += bytes;
    a.arrivals.set(producer.spec.id, Math.max(a.dispatchedAt, producer.doneAt) + (local ? 0 : transferMs(this.cluster.network, bytes)));
  }

  private win(a: Attempt): void {
    const task = a.task;
    task.done = true;
    task.doneAt = this.now;
    task.winner = a;
    a.plane = "won";
    a.end = "won";
    this.open.delete(a);
    this.left--;
    this.scheduler.completed({ key: a.key, ok: true, startedAt: a.startedAt!, finishedAt: this.now, outputBytes: task.spec.outputBytes, at: this.now });
    const touched = new Set<SimNode>();
    for (const other of task.attempts) {
      if (other === a) continue;
      if (other.truth === "queued" || other.truth === "running") {
        this.stop(other, "cancelled");
        touched.add(other.node);
      }
      if (other.plane === "open") this.close(other, "cancelled");
    }
    const ready: TaskState[] = [];
    for (const id of task.consumers) {
      const consumer = this.tasks.get(id)!;
      for (const c of consumer.attempts) {
        if (c.plane !== "open" || c.truth !== "queued") continue;
        this.arrive(c, task);
        touched.add(c.node);
      }
      consumer.waiting--;
      if (consumer.waiting === 0) {
        consumer.ready = true;
        if (!consumer.attempts.some((c) => c.plane === "open") && !consumer.parked) ready.push(consumer);
      }
    }
    this.dispatchReady(ready);
    for (const node of touched) this.tryStart(node);
  }

  /** The plane gives up on an attempt (it lost, or its node is gone): the scheduler stops counting it. */
  private close(a: Attempt, end: AttemptEnd): void {
    a.plane = "gone";
    a.end ??= end;
    this.open.delete(a);
    this.scheduler.abandoned?.(a.key, this.now);
  }

  /** Re-sends the tasks of attempts the plane gave up on, unless another attempt is still out. */
  private resend(gone: readonly Attempt[], cause: AttemptCause, avoid?: ReadonlySet<string>): void {
    const seen = new Set<TaskState>();
    for (const a of gone) {
      const task = a.task;
      if (seen.has(task) || task.done || task.parked) continue;
      seen.add(task);
      if (task.attempts.some((x) => x.plane === "open")) continue;
      if (!task.ready && !this.policy.plan) continue;
      if (gone.some((x) => x.task === task && x.startedAt !== null)) this.reexecuted++;
      this.dispatch(task, cause, avoid);
    }
  }

  private markDown(node: SimNode): void {
    node.plane = "down";
    this.scheduler.nodeDown(node.spec.id, this.now);
    // As in production, the plane stops waiting for what it sent there and sends it elsewhere,
    // but does not kill it: if the node was only slow, its result still counts when it comes first.
    const gone = [...this.open].filter((a) => a.node === node);
    for (const a of gone) this.close(a, a.truth === "lost" ? "lost" : "given-up");
    this.resend(gone, "lost");
  }

  /** The fault oracle's drain (not the product's: it knows which calls have not started). */
  private drain(node: SimNode): void {
    if (!node.alive) {
      this.markDown(node); // the drain request finds it unreachable
      return;
    }
    // Only what another node could take: with nowhere else to go a call stays queued here.
    const elsewhere = (a: Attempt) => [...this.nodes.values()].some((n) => n !== node && n.plane === "up" && canRun(n.spec, a.task.stage.caps));
    const moved = [...this.open].filter((a) => a.node === node && a.truth === "queued" && elsewhere(a));
    for (const a of moved) {
      this.stop(a, "cancelled");
      this.close(a, "drained");
      this.drained++;
    }
    this.resend(moved, "drained", new Set([node.spec.id]));
  }

  private tick(): void {
    this.push({ kind: "tick", at: this.now + this.tickMs });
    for (const a of [...this.open]) {
      if (a.timedOut || a.deadline > this.now) continue;
      a.timedOut = true;
      this.timeouts++;
      this.scheduler.timedOut(a.key, this.now);
      a.task.timedOutOn.add(a.node.spec.id);
      if (!a.task.attempts.some((x) => x.plane === "open" && !x.timedOut)) {
        this.reexecuted++;
        this.dispatch(a.task, "timeout");
      }
    }
    const parked = this.parked.splice(0);
    for (const task of parked) {
      task.parked = false;
      if (!task.done && !task.attempts.some((x) => x.plane === "open")) this.dispatch(task, task.attempts.length === 0 ? "first" : "lost");
    }
    this.react();
  }

  /** Asks the scheduler about node health and stragglers, and acts on the answers. */
  private react(): void {
    for (const s of this.scheduler.suspicions(this.now)) {
      const node = this.nodes.get(s.node);
      if (!node) continue;
      this.flag(node, s.verdict !== "healthy");
      // The product's rule (recovery.ts): a node judged failing is marked unresponsive and what it holds goes elsewhere now.
      if (drains(s, node.plane === "up" ? "up" : "unresponsive")) this.markDown(node);
    }
    if (!this.policy.speculate) return;
    for (const advice of this.scheduler.stragglers(this.now)) {
      const late = this.byKey.get(advice.key);
      if (!late || late.plane !== "open" || late.task.done) continue;
      if (late.task.attempts.filter((x) => x.plane === "open").length > 1) continue;
      const node = this.nodes.get(advice.backup.node);
      if (!node || node === late.node || node.plane !== "up") continue;
      this.createAttempt(late.task, node, advice.backup, "speculative", { pinnedSlot: null, priority: this.now });
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
