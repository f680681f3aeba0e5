/**
 * The stage Worker (workers/stage-worker.ts) over its STAGES binding: its registry carries the
 * examples' lock (examples/paxflow.lock.json, a JSON import in the Worker bundle), and a call
 * dispatched for other code than it bundles is refused with CodeMismatch naming both digests.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decode, encode } from "../../core/codec.ts";
import { fromBase64, inlinePayload } from "../../core/jobs/payload.ts";
import lock from "../../examples/paxflow.lock.json" with { type: "json" };

const ADD = "dag/add@1";
const input = () => inlinePayload(encode([1, 2, 3]));

describe("StageWorker code identity", () => {
  it("runs a call dispatched for its own digest, or without one", async () => {
    for (const digest of [lock.stages[ADD], undefined]) {
      const run = await env.STAGES.run(ADD, input(), digest);
      expect(run.outcome.ok, JSON.stringify(run.outcome)).toBe(true);
      if (run.outcome.ok && "inline" in run.outcome.value) expect(decode(fromBase64(run.outcome.value.inline))).toBe(6);
    }
  });

  it("refuses a call dispatched for other code with CodeMismatch naming both digests", async () => {
    const run = await env.STAGES.run(ADD, input(), "ffffffffffffffff");
    expect(run.outcome.ok).toBe(false);
    if (run.outcome.ok) return;
    expect(run.outcome.error).toMatchObject({ name: "CodeMismatch", code: "code_mismatch", registryDigest: lock.stages[ADD], callDigest: "ffffffffffffffff" });
    expect(run.outcome.error.message).toContain(`dispatched for code ffffffffffffffff, but this backend bundles code ${lock.stages[ADD]}`);
  });
});
