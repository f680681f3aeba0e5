/**
 * The local cluster with gpu-runners registered runs the numeric example over HTTP, and each
 * SIMD call goes to the backend the scheduler predicts finishes first, with the reason in the
 * log. Two gpu-runners on this machine's real adapter: one registers the profile it calibrates
 * at start-up (on a software adapter its kernels are slower than JS, so SIMD calls stay on CPU
 * backends), the other registers the hypothetical fast-GPU profile from test/fixtures (a named
 * test input, not a measurement), so the big matrix multiply is sent to it and really runs on
 * the adapter.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type AttemptJson, type JobJson, expectedOutput, finished, showLogOnFailure, submit, useLocalCluster } from "./support.ts";
import fixture from "../fixtures/hypothetical-fast-gpu.json" with { type: "json" };

const local = useLocalCluster();

const callOf = (job: JobJson, target: string) => {
  const call = job.calls.find((c) => c.target === target);
  if (!call) throw new Error(`job has no ${target} call: ${JSON.stringify(job.calls.map((c) => c.target))}`);
  return call;
};

const dispatchOf = (job: JobJson, target: string) => callOf(job, target).attempts[0]!;

/** The winner is the candidate with the earliest predicted finish, and the entry says why. */
function expectBestOfAlternatives(attempt: AttemptJson) {
  const best = Math.min(...attempt.alternatives.map((c) => c.finishAt));
  expect(attempt.alternatives.find((c) => c.node === attempt.node)!.finishAt).toBe(best);
  expect(attempt.reason).toMatch(/finishes first|^inline: run/);
}

describe("SIMD stages with gpu-runners in the local cluster", () => {
  it("places the numeric pipeline's calls by predicted finish, using the calibrated profile", async () => {
    showLogOnFailure(local);
    await local.cluster.startRunners([{ id: "cpu-1", kind: "cpu" }, { id: "gpu-1", kind: "gpu" }]);
    const input = { n: 192, seed: 5 };
    const id = await submit(local.cluster, "numeric-pipeline/random", input);
    const job = await finished(local.cluster, id);
    expect(job.status, JSON.stringify(job.error)).toBe("done");
    expect(job.output).toEqual(expectedOutput("numeric-pipeline/random", input));
    for (const target of ["numeric-pipeline/matmul@1", "numeric-pipeline/sum@1"]) {
      const attempt = dispatchOf(job, target);
      // The gpu-runner was a candidate, with its calibrated prediction in the log entry.
      expect(attempt.alternatives.map((c) => c.node)).toContain("gpu-1");
      expectBestOfAlternatives(attempt);
    }
  });

  it("sends the big matrix multiply to a GPU whose profile says it is much faster, and it runs there", async () => {
    const dir = mkdtempSync(join(tmpdir(), "paxflow-gpu-profile-"));
    const profile = join(dir, "hypothetical-fast-gpu.json");
    writeFileSync(profile, JSON.stringify(fixture.node.speed));
    await local.cluster.startRunners([{ id: "gpu-fast", kind: "gpu", profile, bandwidthMbps: 12_000 }]);
    const input = { n: 256, seed: 9 };
    const id = await submit(local.cluster, "numeric-pipeline/random", input);
    const job = await finished(local.cluster, id);
    expect(job.status, JSON.stringify(job.error)).toBe("done");
    const matmul = dispatchOf(job, "numeric-pipeline/matmul@1");
    expect(matmul.node).toBe("gpu-fast");
    expectBestOfAlternatives(matmul);
    // The kernel runs on the real (software) adapter, far slower than the hypothetical profile
    // claims: the scheduler may see the call run late and back it up elsewhere, and on a loaded
    // machine the runner may fail it (past its timeout) and it is re-dispatched; the first result
    // wins. Whichever happened, the log says so.
    const call = callOf(job, "numeric-pipeline/matmul@1");
    if (call.node !== "gpu-fast") {
      expect(call.attempts.slice(1).map((a) => a.reason).join("\n"), JSON.stringify(call.attempts)).toMatch(/speculative backup|re-dispatch after gpu-fast failed it/);
    }
    // The kernel ran on the real adapter: the pipeline's sum agrees with the CPU reference's
    // (the tiled kernel adds in the same order; a fused multiply-add may move the last bits).
    const expected = expectedOutput("numeric-pipeline/random", input) as number;
    expect(Math.abs((job.output as number) - expected)).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(expected)));
  });
});
