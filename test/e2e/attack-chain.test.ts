/**
 * The attack that once worked (issue 14), replayed against the real local cluster with a read
 * token: a percent-encoded path (`POST /v1/%6Eodes`) re-registered the honest runner cpu-1 at the
 * attacker's listener, which then received the signed call with the job's input and posted a
 * forged result that the job took as its output. Every step must now be refused at once, and
 * nothing reach the attacker; the plain spelling is refused too (a read token is neither a
 * runner's signature nor a submit or admin token), and the honest runner's job ends right.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { LOCAL_API_TOKEN } from "../../cli/local-cluster.ts";
import { TEST_TOKENS } from "../shared/tokens.ts";
import { expectedOutput, finished, nodeView, showLogOnFailure, submit, useLocalCluster } from "./support.ts";

const local = useLocalCluster({
  vars: { API_TOKENS: `local=${LOCAL_API_TOKEN}=admin,reader=${TEST_TOKENS.reader}=read`, PAXFLOW_CHAOS: "1" },
});

const READER = { authorization: `Bearer ${TEST_TOKENS.reader}` };

describe("the encoded-path runner takeover", () => {
  it("is refused at its first step, and at every other; the honest runner's job ends right", async () => {
    showLogOnFailure(local);
    const cluster = local.cluster;
    await cluster.startRunners([{ id: "cpu-1", kind: "cpu", speed: 40, slots: 4 }]);
    const honestUrl = (await nodeView(cluster, "cpu-1"))!.spec.url;

    // The attacker's listener: anything the plane sends it is a leak.
    const received: string[] = [];
    const attacker = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    const attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;

    try {
      const takeover = { id: "cpu-1", url: attackerUrl, caps: ["cpu"], speed: { cpu: 100 }, slots: 8, latencyMs: 1, bandwidthMBps: 1_000 };
      const steps: [string, string, unknown, number, string][] = [
        // The first step of the chain, in both hex cases, then the plain spelling.
        ["POST", "/v1/%6Eodes", takeover, 400, "non_canonical_path"],
        ["POST", "/v1/%6eodes", takeover, 400, "non_canonical_path"],
        ["POST", "/v1/nodes", takeover, 401, "unauthorized"],
        // Acting as cpu-1 afterwards.
        ["POST", "/v1/%6Eodes/cpu-1/heartbeat", { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }, 400, "non_canonical_path"],
        ["POST", "/v1/nodes/cpu-1/heartbeat", { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }, 401, "unauthorized"],
        ["POST", "/v1/%6Eodes/cpu-1/results", { job: "j-" + "0".repeat(24), seq: 0, attempt: 0, outcome: { ok: true, value: "" } }, 400, "non_canonical_path"],
        // The rest of what a read token once did: submit, write the log, take acceptors down.
        ["POST", "/v1/%6Aobs", { job: "monte-carlo/pi", input: { seed0: 1, runs: 1, samplesPerRun: 10 } }, 400, "non_canonical_path"],
        ["POST", "/v1/jobs", { job: "monte-carlo/pi", input: { seed0: 1, runs: 1, samplesPerRun: 10 } }, 403, "forbidden"],
        ["POST", "/v1/%63ommands", { key: "k", data: 1 }, 400, "non_canonical_path"],
        ["POST", "/v1/commands", { key: "k", data: 1 }, 403, "forbidden"],
        ["POST", "/v1/%63haos/acceptors/0/0", { fault: { mode: "down" } }, 400, "non_canonical_path"],
        ["POST", "/v1/chaos/acceptors/0/0", { fault: { mode: "down" } }, 403, "forbidden"],
      ];
      for (const [method, path, body, status, code] of steps) {
        const answer = await cluster.api(path, { method, body, headers: READER });
        expect([`${method} ${path}`, answer.status, (answer.json as { error?: { code?: string } } | undefined)?.error?.code]).toEqual([`${method} ${path}`, status, code]);
      }
      const deleted = await cluster.api(`/v1/%6Aobs/j-${"0".repeat(24)}`, { method: "DELETE", headers: READER });
      expect(deleted.status).toBe(400);

      // The honest runner is still cpu-1, and a job placed on it ends with the right output.
      const node = await nodeView(cluster, "cpu-1");
      expect(node?.spec.url).toBe(honestUrl);
      const input = { seed0: 7, runs: 4, samplesPerRun: 20_000 };
      const job = await finished(cluster, await submit(cluster, "monte-carlo/pi", input));
      expect(job.status, JSON.stringify(job.error)).toBe("done");
      expect(job.output).toEqual(expectedOutput("monte-carlo/pi", input));
      expect(job.calls.some((c) => c.attempts.some((a) => a.node === "cpu-1"))).toBe(true);
      expect((await nodeView(cluster, "cpu-1"))!.status).toBe("up");
      expect(received).toEqual([]);
    } finally {
      await new Promise((resolve) => attacker.close(resolve));
    }
  });
});
