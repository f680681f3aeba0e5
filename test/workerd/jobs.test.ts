import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decode, encode } from "../../core/codec.ts";
import { fromBase64, inlinePayload } from "../../core/jobs/payload.ts";
import { runLocally } from "../../core/sdk/local.ts";
import { registry } from "../../examples/index.ts";
import type { JobView } from "../../runtime/jobs/contract.ts";

let nextShard = 700;
const commanderOf = (shard: number, index = 0) => env.COMMANDER.get(env.COMMANDER.idFromName(`shard-${shard}/commander-${index}`));

const outputOf = (job: JobView) => {
  if (!job.output || !("inline" in job.output)) throw new Error(`job ${job.id} has no inline output: ${JSON.stringify(job)}`);
  return decode(fromBase64(job.output.inline));
};

describe("jobs through the commander", () => {
  it("runs word-count to the same result as runLocally", async () => {
    const shard = nextShard++;
    const input = { text: "the quick brown fox jumps over the lazy dog the end", chunkChars: 12 };
    const reply = await commanderOf(shard).submitJob({ id: "j-wc-1", name: "word-count", input: inlinePayload(encode(input)), waitMs: 10_000 });
    expect(reply.created).toBe(true);
    const job = reply.job as JobView;
    expect(job.status).toBe("done");
    const local = runLocally(registry, "word-count", input);
    expect(local.status).toBe("done");
    expect(outputOf(job)).toEqual((local as { output: unknown }).output);
    expect(job.calls.length).toBeGreaterThan(1);
  });
});
