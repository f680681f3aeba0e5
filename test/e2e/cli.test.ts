/**
 * The CLI's API commands (cli/commands/client.ts) as a user runs them: child processes of
 * `node cli/paxflow.mjs` against the real local cluster, through the typed client.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../cli/local-cluster.ts";
import { shellLines } from "../shared/doc-blocks.ts";
import { expectedFailure, expectedOutput, showLogOnFailure, useLocalCluster } from "./support.ts";

const local = useLocalCluster();

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function paxflow(args: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((done) => {
    execFile(process.execPath, [resolve(ROOT, "cli/paxflow.mjs"), ...args], { cwd: ROOT, env: { ...process.env, PAXFLOW_API: local.cluster.url, ...env }, timeout: 120_000 }, (error, stdout, stderr) =>
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const json = <T>(ran: Ran): T => {
  expect(ran.code, ran.stderr).toBe(0);
  return JSON.parse(ran.stdout) as T;
};

describe("the paxflow CLI against a running cluster", () => {
  it("submits and watches a job to its result, then shows it in status, jobs and explain", async () => {
    showLogOnFailure(local);
    await local.cluster.startRunners([{ id: "cpu-1", kind: "cpu", speed: 2, slots: 2 }]);
    const input = { text: "the quick brown fox jumps over the lazy dog the end", chunkChars: 12 };
    const watched = await paxflow(["submit", "word-count", "--input", JSON.stringify(input), "--watch"]);
    expect(watched.code, watched.stderr).toBe(0);
    const id = /^job (\S+) accepted$/m.exec(watched.stdout)?.[1];
    expect(id, watched.stdout).toBeDefined();
    expect(watched.stdout).toMatch(/^call 0 word-count\/.+: done on \S+$/m);
    expect(watched.stdout).toContain(`output: ${JSON.stringify(expectedOutput("word-count", input))}`);

    const job = json<{ status: string; output: unknown }>(await paxflow(["status", id!, "--json"]));
    expect(job).toMatchObject({ status: "done", output: expectedOutput("word-count", input) });
    const text = await paxflow(["status", id!]);
    expect(text.stdout).toMatch(new RegExp(`^job ${id} \\(word-count\\): done`));
    expect(text.stdout).toMatch(/#\s+call\s+status\s+node\s+attempts\s+ran/);

    const page = json<{ jobs: { id: string }[] }>(await paxflow(["jobs", "--json", "--limit", "50"]));
    expect(page.jobs.map((j) => j.id)).toContain(id);
    expect((await paxflow(["jobs", "--status", "done"])).stdout).toContain(id!);

    const explained = json<{ calls: { attempts: { candidates: { node: string; chosen: boolean }[] }[] }[] }>(await paxflow(["explain", id!, "--json"]));
    const first = explained.calls[0]!.attempts[0]!;
    expect(first.candidates.filter((c) => c.chosen)).toHaveLength(1);
    expect((await paxflow(["explain", id!])).stdout).toMatch(/attempt 1 -> \S+: /);
  });

  it("submits an input file, then waits for it with status --wait", async () => {
    const accepted = json<{ id: string; status: string }>(await paxflow(["submit", "monte-carlo/pi", "--input", "examples/inputs/pi.json", "--json"]));
    const job = json<{ status: string; output: unknown }>(await paxflow(["status", accepted.id, "--wait", "30", "--json"]));
    expect(job).toMatchObject({ status: "done", output: expectedOutput("monte-carlo/pi", { seed0: 1, runs: 4, samplesPerRun: 200_000 }) });
  });

  it("lists nodes and the cluster", async () => {
    const { nodes } = json<{ nodes: { spec: { id: string }; status: string }[] }>(await paxflow(["nodes", "--json"]));
    expect(nodes.map((n) => n.spec.id)).toEqual(expect.arrayContaining(["inline", "worker", "cpu-1"]));
    expect((await paxflow(["nodes"])).stdout).toMatch(/^node\s+kind\s+status\s+caps/m);
    const view = json<{ shards: { leader: unknown }[] }>(await paxflow(["cluster", "--json"]));
    expect(view.shards).toHaveLength(2);
    expect((await paxflow(["cluster"])).stdout).toMatch(/^shard 0: leader shard-0\/commander-\d/m);
  });

  it("with --watch --json, prints only the finished job on stdout (the progress goes to stderr)", async () => {
    const input = { seed0: 2, runs: 3, samplesPerRun: 100_000 };
    const ran = await paxflow(["submit", "monte-carlo/pi", "--input", JSON.stringify(input), "--watch", "--json"]);
    const job = json<{ status: string; output: unknown }>(ran);
    expect(job).toMatchObject({ status: "done", output: expectedOutput("monte-carlo/pi", input) });
    expect(ran.stderr).toMatch(/^call 0 monte-carlo\/sample@1: /m);
  });

  it("exits 1 for a failed job under --watch, printing its error", async () => {
    const ran = await paxflow(["submit", "shapes/fails", "--input", '{"catchIt": false}', "--watch"]);
    expect(ran.code).toBe(1);
    const { name, message } = expectedFailure("shapes/fails", { catchIt: false });
    expect(ran.stdout).toContain(`failed: ${name}: ${message}`);
  });

  it("runs the HTTP guide's curl lines as written (its URL and token swapped for this cluster's)", async () => {
    const lines = shellLines("docs/cli-and-http.md").filter((l) => l.startsWith("curl "));
    expect(lines.length).toBeGreaterThanOrEqual(5);
    let id: string | undefined;
    for (const line of lines) {
      // The line without its trailing comment, pointed at this cluster and the job the first line made.
      const command = line.replace(/\s+#\s.*$/, "").replaceAll("http://127.0.0.1:8787", local.cluster.url).replace("<id>", id ?? "<id>");
      const ran = await new Promise<Ran>((done) =>
        execFile("bash", ["-c", `${command} -w '\n%{http_code}'`], { env: { ...process.env, AUTH: `Authorization: Bearer ${local.cluster.token}` }, timeout: 60_000 }, (error, stdout, stderr) =>
          done({ code: error ? 1 : 0, stdout, stderr }),
        ),
      );
      const status = Number(ran.stdout.trim().split("\n").at(-1));
      expect(ran.code, `${command}\n${ran.stderr}${ran.stdout}`).toBe(0);
      expect(status, `${line}\n${ran.stdout}`).toBeGreaterThanOrEqual(200);
      expect(status, `${line}\n${ran.stdout}`).toBeLessThan(300);
      id ??= /"id":"(j-[0-9a-f]+)"/.exec(ran.stdout)?.[1];
    }
    expect(id, "the first curl line submits a job").toBeDefined();
  });

  it("says what is wrong and what to do: unknown job, bad token, no API, bad input", async () => {
    const unknown = await paxflow(["submit", "no/such-job", "--input", "{}"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: no job named "no\/such-job" is deployed .*\(HTTP 404 unknown_job\)$/m);
    const token = await paxflow(["jobs"], { PAXFLOW_TOKEN: "not-a-token-of-this-cluster-000000" });
    expect(token.code).toBe(1);
    expect(token.stderr).toMatch(/HTTP 401 unauthorized\); set PAXFLOW_TOKEN to a client token/);
    const away = await paxflow(["nodes", "--api", "http://127.0.0.1:9"]);
    expect(away.code).toBe(1);
    expect(away.stderr).toMatch(/^error: no paxflow API answers at http:\/\/127\.0\.0\.1:9 .*start the local cluster with `npm start`/m);
    const input = await paxflow(["submit", "word-count", "--input", "not json and no file"]);
    expect(input.code).not.toBe(0);
    expect(input.stderr).toContain('"not json and no file" is neither JSON nor a file');
  });
});
