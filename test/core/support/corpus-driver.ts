/**
 * One JobDriver over a single in-memory acceptor on a virtual clock, running the job-plane
 * simulation's corpus (runtime/sim/job-corpus.ts): for driver tests that script one situation
 * the simulation found. The caller gives the backends and may replace scheduler methods.
 */
import { builtinNodes } from "../../../core/jobs/builtins.ts";
import type { NodeSpec } from "../../../core/jobs/decisions.ts";
import { DEFAULT_INLINE_PAYLOAD_BYTES, payloadKey } from "../../../core/jobs/payload.ts";
import type { VerifyPolicy } from "../../../core/jobs/verification.ts";
import { makeConfig } from "../../../core/paxos/index.ts";
import { createLearningScheduler } from "../../../core/sched/learning-scheduler.ts";
import { CommanderDriver } from "../../../runtime/commander-driver.ts";
import type { Backends } from "../../../runtime/jobs/backends.ts";
import { MemoryFinishedJobs } from "../../../runtime/jobs/finished-jobs.ts";
import { JobDriver } from "../../../runtime/jobs/job-driver.ts";
import { MemoryBlobStore, Payloads } from "../../../runtime/jobs/payload-store.ts";
import { MemoryAcceptors } from "../../../runtime/memory-transport.ts";
import { corpus } from "../../../runtime/sim/job-corpus.ts";
import { VirtualTime } from "./virtual-time.ts";

export const runnerSpec = (id: string, cpu: number): NodeSpec => ({ id, kind: "runner", url: `http://${id}.test`, caps: ["cpu"], speed: { cpu }, slots: 4, latencyMs: 1, bandwidthMBps: 100 });

export function corpusDriver(options: { verify: VerifyPolicy; backends: (payloads: Payloads, time: VirtualTime, driver: () => JobDriver) => Backends }) {
  const time = new VirtualTime();
  const payloads = new Payloads(new MemoryBlobStore(), DEFAULT_INLINE_PAYLOAD_BYTES, payloadKey);
  const scheduler = createLearningScheduler({ inlineMaxMs: 2 });
  const driver: JobDriver = new JobDriver({
    shard: 0,
    registry: corpus,
    payloads,
    timers: time.timers,
    builtins: builtinNodes(1),
    scheduler,
    maxWaitMs: 5_000,
    finished: new MemoryFinishedJobs(),
    name: "c",
    verify: options.verify,
    logSink: () => undefined,
    backends: options.backends(payloads, time, () => driver),
    commander: (machine, onElected) =>
      new CommanderDriver({ id: "c#1", initial: makeConfig(["a"], {}), transport: new MemoryAcceptors(["a"]), timers: time.timers, retryMs: 5, machine, onElected }),
  });
  return { driver, time, payloads, scheduler };
}
