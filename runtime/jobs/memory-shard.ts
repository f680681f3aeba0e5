/**
 * A JobDriver over in-memory acceptors, in this process: the commander of one shard as the
 * in-memory jobs conformance run, the driver-level tests and `npm run bench:scale` use it.
 * Backends are the caller's; workerBackend and localRunners answer from this process.
 */
import { sealable } from "../../core/jobs/advance.ts";
import { builtinNodes } from "../../core/jobs/builtins.ts";
import type { CallOutcome } from "../../core/jobs/decisions.ts";
import { DEFAULT_INLINE_PAYLOAD_BYTES, type Payload, payloadKey } from "../../core/jobs/payload.ts";
import type { VerifyPolicy } from "../../core/jobs/verification.ts";
import { makeConfig } from "../../core/paxos/index.ts";
import { createLearningScheduler } from "../../core/sched/learning-scheduler.ts";
import { checkCodeIdentity } from "../../core/sdk/code-identity.ts";
import { type Registry, digestOf } from "../../core/sdk/registry.ts";
import { runStage } from "../../core/sdk/run-stage.ts";
import { CommanderDriver } from "../commander-driver.ts";
import { errorMessage } from "../errors.ts";
import { jsonLogger } from "../log.ts";
import { MemoryAcceptors } from "../memory-transport.ts";
import { type Timers, realTimers } from "../timers.ts";
import type { Backends } from "./backends.ts";
import { type FinishedJobs, MemoryFinishedJobs } from "./finished-jobs.ts";
import { JobDriver } from "./job-driver.ts";
import { PayloadHolds } from "./payload-holds.ts";
import { MemoryBlobStore, Payloads } from "./payload-store.ts";

/** The acceptors' leader lease; commanders read from their own state for half of it (CommanderOptions.readLeaseMs). */
const LEASE_MS = 100;

export interface MemoryShard {
  /** The current incarnation. */
  driver(): JobDriver;
  readonly payloads: Payloads;
  /** The current incarnation's holds on payload blobs (idle(): its deletes so far are done). */
  payloadHolds(): PayloadHolds;
  /** The commander's finished jobs (they survive crash()). */
  readonly finished: FinishedJobs;
  /** "commander-<i>": the first of a shard is 0, each one `beside` it the next. */
  readonly name: string;
  /** The shard's parts its commanders share: acceptors, payloads, and each commander's current incarnation by name. */
  readonly shared: {
    readonly network: MemoryAcceptors;
    /** The bucket payloads and their holds are in (payload-holds.ts). */
    readonly blobs: MemoryBlobStore;
    readonly payloads: Payloads;
    /** Each reachable commander's current incarnation (a test removes one to make it unreachable). */
    readonly commanders: Map<string, () => JobDriver>;
    /** Every name given so far, in order: never given twice. */
    readonly names: string[];
  };
  /**
   * Kills the commander with everything in its memory and starts the next incarnation; with
   * `registry`, the next one runs that code (a redeploy: the log and storage stay).
   */
  crash(registry?: Registry): void;
  close(): void;
}

/**
 * Runs a stage here as the stage Worker or a runner would: refuse a call dispatched for other
 * code (`digest`: code-identity.ts), open the input, run the stage, seal the output.
 */
export async function runHere(registry: Registry, payloads: Payloads, stage: string, input: Payload, digest?: string): Promise<CallOutcome<Payload>> {
  const identity = checkCodeIdentity(digestOf(registry, "stage", stage), digest, stage);
  if (!identity.ok) return { ok: false, error: identity.error };
  try {
    // The in-process plane is for tests: always in the freeze mode (core/sdk/run-stage.ts).
    return { ok: true, value: await payloads.seal(sealable(runStage(registry.stages.get(stage)!, await payloads.open(input), { freezeInput: true }))) };
  } catch (error) {
    return { ok: false, error: { name: (error as Error).name, message: errorMessage(error) } };
  }
}

/** The stage Worker's part, in this process. */
export function workerBackend(registry: Registry, payloads: Payloads): Backends["worker"] {
  return async (stage, input, digest) => {
    const startedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1)); // a real hop: the caller must not assume a synchronous answer
    const outcome = await runHere(registry, payloads, stage, input, digest);
    return { outcome, startedAt, finishedAt: Date.now() };
  };
}

/**
 * Runners in this process: each takes every call it is sent and offers the result on a later
 * turn of the event loop, as a runner answers the API. An offer the shard refuses is dropped:
 * the call's deadline sends it elsewhere.
 */
export function localRunners(registry: Registry, payloads: Payloads, shard: () => JobDriver): Pick<Backends, "sendToRunner" | "probeRunner"> {
  return {
    async sendToRunner({ id }, call) {
      setTimeout(async () => {
        const startedAt = Date.now();
        const outcome = await runHere(registry, payloads, call.stage, call.input, call.digest);
        await shard()
          .offerResult({ node: id, job: call.job, seq: call.seq, attempt: call.attempt, outcome, startedAt, finishedAt: Date.now() })
          .catch(() => undefined);
      }, 0);
    },
    async probeRunner() {
      return { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 };
    },
  };
}

export interface MemoryShardOptions {
  readonly registry: Registry;
  readonly backends: (payloads: Payloads, shard: () => JobDriver) => Backends;
  readonly verify?: VerifyPolicy;
  /** The job driver's clock and timers (the commander's stay real); default real. */
  readonly timers?: Timers;
  readonly maxNodes?: number;
  readonly nodeExpiryMs?: number;
  /** JOB_RETENTION in ms; default DEFAULT_JOB_RETENTION_MS. */
  readonly retentionMs?: number;
  /** The commander's store of finished jobs; default a new in-memory one. */
  readonly finished?: FinishedJobs;
  /** Compact every this many slots (the commander's default otherwise). */
  readonly compactEvery?: number;
  /** Another commander of that shard's: same acceptors and payloads, and each reaches the other's finished jobs as a peer. */
  readonly beside?: MemoryShard;
  readonly maxRunningJobs?: number;
  /** Acceptors answer in a later macrotask, as RPCs do (MemoryAcceptorsOptions.macrotaskHops); default false. */
  readonly macrotaskHops?: boolean;
}

export function memoryShard(options: MemoryShardOptions): MemoryShard {
  const acceptors = ["acceptor-0", "acceptor-1", "acceptor-2"];
  const blobs = new MemoryBlobStore();
  const shared = options.beside?.shared ?? {
    network: new MemoryAcceptors(acceptors, { leaseMs: LEASE_MS, ...(options.macrotaskHops ? { macrotaskHops: true } : {}) }),
    blobs,
    payloads: new Payloads(blobs, DEFAULT_INLINE_PAYLOAD_BYTES, payloadKey),
    commanders: new Map<string, () => JobDriver>(),
    names: [],
  };
  const { network, payloads } = shared;
  const name = `commander-${shared.names.length}`;
  shared.names.push(name);
  // The commander's own storage: it outlives each incarnation, as a Durable Object's SQLite does.
  const finished = options.finished ?? new MemoryFinishedJobs();
  let incarnation = 0;
  let registry = options.registry;
  let holds!: PayloadHolds;
  const start = (): JobDriver => {
    holds = new PayloadHolds(shared.blobs, 0, name, jsonLogger({ shard: 0, commander: name }), options.timers ?? realTimers);
    return new JobDriver({
      shard: 0,
      registry,
      // Its own seals through its holds (PayloadHolds.sealing); the backends share the shard's.
      payloads: new Payloads(holds.sealing(shared.blobs), DEFAULT_INLINE_PAYLOAD_BYTES, payloadKey),
      backends: options.backends(payloads, () => driver),
      timers: options.timers ?? realTimers,
      builtins: builtinNodes(1),
      scheduler: createLearningScheduler({ inlineMaxMs: 2 }),
      maxWaitMs: 60_000,
      finished,
      payloadHolds: holds,
      name,
      peers: () => new Map([...shared.commanders].map(([peer, driver]) => [peer, driver()])),
      ...(options.retentionMs === undefined ? {} : { retentionMs: options.retentionMs }),
      ...(options.verify ? { verify: options.verify } : {}),
      ...(options.maxNodes === undefined ? {} : { maxNodes: options.maxNodes }),
      // In-process shards serve tests: the freeze mode is on, as under vitest and `paxflow dev`.
      freezeInputs: true,
      ...(options.maxRunningJobs === undefined ? {} : { maxRunningJobs: options.maxRunningJobs }),
      ...(options.nodeExpiryMs === undefined ? {} : { nodeExpiryMs: options.nodeExpiryMs }),
      commander: (machine, onElected) =>
        new CommanderDriver({
          id: `${name}#${++incarnation}`,
          initial: makeConfig(acceptors, { alpha: 4 }),
          transport: network,
          maxBatch: 64,
          retryMs: 5,
          readLeaseMs: LEASE_MS / 2,
          ...(options.compactEvery === undefined ? {} : { compactEvery: options.compactEvery }),
          machine,
          onElected,
        }),
    });
  };
  let driver: JobDriver = start();
  shared.commanders.set(name, () => driver);
  return {
    name,
    shared,
    driver: () => driver,
    payloadHolds: () => holds,
    payloads,
    finished,
    crash: (next) => {
      driver.close();
      if (next) registry = next;
      driver = start();
    },
    close: () => driver.close(),
  };
}
