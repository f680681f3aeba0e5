import { MemoryFinishedJobs } from "../../runtime/jobs/finished-jobs.ts";
import { finishedJobsConformance } from "../shared/finished-jobs-conformance.ts";

finishedJobsConformance("memory", async (body) => {
  const store = new MemoryFinishedJobs();
  // The memory store's storage is the object itself: a restart keeps it (as memory-shard.ts does).
  body(store, () => store);
});
