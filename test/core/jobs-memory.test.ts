import { jobsConformance } from "../shared/jobs-conformance.ts";
import { memoryShard, workerBackend } from "./support/memory-driver.ts";

jobsConformance("JobDriver over in-memory acceptors in Node", async () => {
  const shard = memoryShard({
    backends: (payloads) => ({
      worker: workerBackend(payloads),
      async sendToRunner({ url }) {
        const response = await fetch(new URL("/v1/calls", url), { method: "POST", body: "{}" });
        if (!response.ok) throw new Error(`runner answered ${response.status}`);
      },
      async probeRunner() {
        return { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 };
      },
    }),
  });
  const driver = () => shard.driver();
  return {
    plane: () => ({
      submitJob: (r) => driver().submitJob(r),
      getJob: (id, viewer, waitMs) => driver().getJob(id, viewer, waitMs),
      jobEvents: (id, viewer, after, waitMs) => driver().jobEvents(id, viewer, after, waitMs),
      cancelJob: (id, viewer, reason) => driver().cancelJob(id, viewer, reason),
      listJobs: (query) => driver().listJobs(query),
      registerNode: (spec, signedAt) => driver().registerNode(spec, signedAt),
      listNodes: () => driver().listNodes(),
      jobStats: () => driver().jobStats(),
      read: async (from, limit) => driver().commander.read(from, limit),
    }),
    payloads: shard.payloads,
    crashCommander: async () => shard.crash(),
    dispose: async () => shard.close(),
  };
});
