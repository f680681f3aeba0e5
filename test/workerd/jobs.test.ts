import { env } from "cloudflare:workers";
import { abortAllDurableObjects } from "cloudflare:test";
import { DEFAULT_INLINE_PAYLOAD_BYTES, payloadKey } from "../../core/jobs/payload.ts";
import { r2Blobs } from "../../durable-objects/r2-blobs.ts";
import { Payloads } from "../../runtime/jobs/payload-store.ts";
import { type HarnessPlane, jobsConformance } from "../shared/jobs-conformance.ts";

/** Each test gets its own shard number (other workerd suites use 100+, 500+, 900). */
let nextShard = 700;

jobsConformance("Commander Durable Object in workerd", async () => {
  const shard = nextShard++;
  return {
    // The stub has every method the suite uses; RPC only wraps their result types.
    plane: () => env.COMMANDER.get(env.COMMANDER.idFromName(`shard-${shard}/commander-0`)) as unknown as HarnessPlane,
    payloads: new Payloads(r2Blobs(env.PAYLOADS), DEFAULT_INLINE_PAYLOAD_BYTES, payloadKey),
    crashCommander: () => abortAllDurableObjects(),
    dispose: async () => undefined,
  };
});
