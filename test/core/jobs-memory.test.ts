import { makeConfig } from "../../core/paxos/index.ts";
import { DEFAULT_INLINE_PAYLOAD_BYTES, payloadKey } from "../../core/jobs/payload.ts";
import { sealable } from "../../core/jobs/advance.ts";
import { builtinNodes } from "../../core/jobs/builtins.ts";
import { createLearningScheduler } from "../../core/sched/learning-scheduler.ts";
import { registry } from "../../examples/index.ts";
import { CommanderDriver } from "../../runtime/commander-driver.ts";
import { errorMessage } from "../../runtime/errors.ts";
import type { Backends } from "../../runtime/jobs/backends.ts";
import { JobDriver } from "../../runtime/jobs/job-driver.ts";
import { MemoryBlobStore, Payloads } from "../../runtime/jobs/payload-store.ts";
import { MemoryAcceptors } from "../../runtime/memory-transport.ts";
import { realTimers } from "../../runtime/timers.ts";
import { jobsConformance } from "../shared/jobs-conformance.ts";

const BUILTINS = builtinNodes(1);

jobsConformance("JobDriver over in-memory acceptors in Node", async () => {
  const acceptors = ["acceptor-0", "acceptor-1", "acceptor-2"];
  const network = new MemoryAcceptors(acceptors, { leaseMs: 100 });
  const payloads = new Payloads(new MemoryBlobStore(), DEFAULT_INLINE_PAYLOAD_BYTES, payloadKey);
  // The stage Worker's part, in this process: open the input, run the stage, seal the output.
  const backends: Backends = {
    async worker(stage, input) {
      const startedAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1)); // a real hop: the caller must not assume a synchronous answer
      try {
        const value = await payloads.seal(sealable(registry.stages.get(stage)!.run(await payloads.open(input))));
        return { outcome: { ok: true, value }, startedAt, finishedAt: Date.now() };
      } catch (error) {
        return { outcome: { ok: false, error: { name: (error as Error).name, message: errorMessage(error) } }, startedAt, finishedAt: Date.now() };
      }
    },
    async sendToRunner({ url }) {
      const response = await fetch(new URL("/v1/calls", url), { method: "POST", body: "{}" });
      if (!response.ok) throw new Error(`runner answered ${response.status}`);
    },
    async probeRunner() {
      return { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 };
    },
  };
  let incarnation = 0;
  const start = () =>
    new JobDriver({
      shard: 0,
      registry,
      payloads,
      backends,
      timers: realTimers,
      builtins: BUILTINS,
      scheduler: createLearningScheduler({ inlineMaxMs: 2 }),
      maxWaitMs: 60_000,
      retainFinished: 1_000,
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
  let driver = start();
  return {
    plane: () => ({
      submitJob: (r) => driver.submitJob(r),
      getJob: (id, waitMs) => driver.getJob(id, waitMs),
      cancelJob: (id, reason) => driver.cancelJob(id, reason),
      registerNode: (spec) => driver.registerNode(spec),
      listNodes: () => driver.listNodes(),
      jobStats: () => driver.jobStats(),
      read: async (from, limit) => driver.commander.read(from, limit),
    }),
    payloads,
    crashCommander: async () => {
      driver.close();
      driver = start();
    },
    dispose: async () => driver.close(),
  };
});
