import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { SqliteFinishedJobs } from "../../durable-objects/finished-jobs-sqlite.ts";
import { finishedJobsConformance } from "../shared/finished-jobs-conformance.ts";

let next = 0;

// Any SQLite-backed Durable Object gives the storage; an acceptor's tables do not collide with these.
finishedJobsConformance("SQLite in a Durable Object", async (body) => {
  const stub = env.ACCEPTOR.get(env.ACCEPTOR.idFromName(`finished-jobs-store-${next++}`));
  await runInDurableObject(stub, (_instance, state) => {
    body(new SqliteFinishedJobs(state.storage.sql, 2), () => new SqliteFinishedJobs(state.storage.sql, 2));
  });
});
