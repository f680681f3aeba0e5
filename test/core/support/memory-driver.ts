/**
 * A JobDriver over in-memory acceptors, in this process: the commander of one shard as the
 * in-memory jobs conformance run and the driver-level tests use it. Backends are the caller's
 * (the stage Worker's part runs here by default).
 */
import { sealable } from "../../../core/jobs/advance.ts";
import { builtinNodes } from "../../../core/jobs/builtins.ts";
import { DEFAULT_INLINE_PAYLOAD_BYTES, payloadKey } from "../../../core/jobs/payload.ts";
import type { VerifyPolicy } from "../../../core/jobs/verification.ts";
import { makeConfig } from "../../../core/paxos/index.ts";
import { createLearningScheduler } from "../../../core/sched/learning-scheduler.ts";
import { registry } from "../../../examples/index.ts";
import { CommanderDriver } from "../../../runtime/commander-driver.ts";
import { errorMessage } from "../../../runtime/errors.ts";
import type { Backends } from "../../../runtime/jobs/backends.ts";
import { JobDriver } from "../../../runtime/jobs/job-driver.ts";
import { MemoryBlobStore, Payloads } from "../../../runtime/jobs/payload-store.ts";
import { MemoryAcceptors } from "../../../runtime/memory-transport.ts";
import { type Timers, realTimers } from "../../../runtime/timers.ts";

export interface MemoryShard {
  /** The current incarnation. */
  driver(): JobDriver;
  readonly payloads: Payloads;
  /** Kills the commander with everything in its memory and starts the next incarnation. */
  crash(): void;
  close(): void;
}

/** The stage Worker's part, in this process: open the input, run the stage, seal the output. */
export function workerBackend(payloads: Payloads): Backends["worker"] {
  return async (stage, input) => {
    const startedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1)); // a real hop: the caller must not assume a synchronous answer
    try {
      const value = await payloads.seal(sealable(registry.stages.get(stage)!.run(await payloads.open(input))));
      return { outcome: { ok: true, value }, startedAt, finishedAt: Date.now() };
    } catch (error) {
      return { outcome: { ok: false, error: { name: (error as Error).name, message: errorMessage(error) } }, startedAt, finishedAt: Date.now() };
    }
  };
}

export interface MemoryShardOptions {
  readonly backends: (payloads: Payloads, shard: () => JobDriver) => Backends;
  readonly verify?: VerifyPolicy;
  /** The job driver's clock and timers (the commander's stay real); default real. */
  readonly timers?: Timers;
  readonly maxNodes?: number;
  readonly nodeExpiryMs?: number;
}

export function memoryShard(options: MemoryShardOptions): MemoryShard {
  const acceptors = ["acceptor-0", "acceptor-1", "acceptor-2"];
  const network = new MemoryAcceptors(acceptors, { leaseMs: 100 });
  const payloads = new Payloads(new MemoryBlobStore(), DEFAULT_INLINE_PAYLOAD_BYTES, payloadKey);
  let incarnation = 0;
  const start = (): JobDriver =>
    new JobDriver({
      shard: 0,
      registry,
      payloads,
      backends: options.backends(payloads, () => driver),
      timers: options.timers ?? realTimers,
      builtins: builtinNodes(1),
      scheduler: createLearningScheduler({ inlineMaxMs: 2 }),
      maxWaitMs: 60_000,
      retainFinished: 1_000,
      ...(options.verify ? { verify: options.verify } : {}),
      ...(options.maxNodes === undefined ? {} : { maxNodes: options.maxNodes }),
      ...(options.nodeExpiryMs === undefined ? {} : { nodeExpiryMs: options.nodeExpiryMs }),
      commander: (machine, onElected) =>
        new CommanderDriver({
          id: `commander-0#${++incarnation}`,
          initial: makeConfig(acceptors, { alpha: 4 }),
          transport: network,
          maxBatch: 64,
          retryMs: 5,
          machine,
          onElected,
        }),
    });
  let driver: JobDriver = start();
  return {
    driver: () => driver,
    payloads,
    crash: () => {
      driver.close();
      driver = start();
    },
    close: () => driver.close(),
  };
}
