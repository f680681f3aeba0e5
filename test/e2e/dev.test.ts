/**
 * `paxflow dev` as a user starts it, with secrets of their own (--var, the environment): it
 * prints where each came from and the tokens' names and scopes, never a value; the runners it
 * starts sign with the RUNNER_KEY it was given (they register); the Worker takes exactly the
 * given tokens and refuses the well-known local one. (.dev.vars itself: test/core/dev-vars.test.ts.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOCAL_API_TOKEN, LOCAL_RUNNER_KEY, LocalCluster, ManagedProcess, ROOT, freePort, http } from "../../cli/local-cluster.ts";
import { TEST_APP } from "../shared/local-app.ts";

const SECRETS = {
  ci: "ci-token-for-the-dev-test-0123456789",
  viewer: "viewer-token-for-the-dev-test-0123456789",
  runnerKey: "runner-key-for-the-dev-test-0123456789",
};

const dir = mkdtempSync(join(tmpdir(), "paxflow-dev-"));
let dev: ManagedProcess | undefined;
afterAll(async () => {
  await dev?.stop("SIGINT", 30_000);
  rmSync(dir, { recursive: true, force: true });
});

describe("paxflow dev with secrets of its user", () => {
  it("prints names and scopes, starts runners that sign with the given key, and takes only the given tokens", async () => {
    const port = await freePort();
    const printed: string[] = [];
    let ready: () => void;
    const isReady = new Promise<void>((resolved) => (ready = resolved));
    dev = new ManagedProcess(
      "paxflow dev",
      process.execPath,
      [
        resolve(ROOT, "cli/paxflow.mjs"),
        "dev",
        ...["--registry", "examples/index.ts"],
        ...["--port", String(port), "--persist-to", join(dir, "state"), "--runners", "1", "--no-gpu", "--no-demo"],
        ...["--var", `API_TOKENS=ci=${SECRETS.ci}=submit+read,viewer=${SECRETS.viewer}=read`],
      ],
      {
        cwd: ROOT,
        env: { ...process.env, RUNNER_KEY: SECRETS.runnerKey, API_TOKENS: "overridden-by-the-flag" },
        onLine: (line) => {
          printed.push(line);
          // The last line of what it prints once ready.
          if (/Ctrl-C stops the runners and workerd/.test(line)) ready();
        },
      },
    );
    const exited = dev.exited.then((exit) => {
      throw new Error(`paxflow dev exited (${JSON.stringify(exit)}) before it was ready:\n${printed.join("\n")}`);
    });
    await Promise.race([isReady, exited]);

    const output = printed.join("\n");
    expect(output).toContain("paxflow dev: secrets: API_TOKENS from --var, RUNNER_KEY from the environment");
    expect(output).toContain("paxflow dev: API tokens: ci (submit+read), viewer (read); paxflow dev's own requests use one more, local (admin)");
    expect(output).toContain(`paxflow dev: dashboard: http://127.0.0.1:${port}/ (it asks for one of your tokens)`);
    for (const secret of [...Object.values(SECRETS), LOCAL_API_TOKEN, LOCAL_RUNNER_KEY]) expect(output).not.toContain(secret);

    const url = `http://127.0.0.1:${port}`;
    const as = (token: string, path: string, method = "GET") => http(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}` }, ...(method === "POST" ? { body: {} } : {}) });
    const nodes = await as(SECRETS.viewer, "/v1/nodes");
    expect(nodes.status).toBe(200);
    // Registered and up: its requests were signed with a secret derived from the environment's RUNNER_KEY.
    expect((nodes.json as { nodes: { spec: { id: string }; status: string }[] }).nodes).toContainEqual(expect.objectContaining({ spec: expect.objectContaining({ id: "cpu-1" }), status: "up" }));
    expect((await as(LOCAL_API_TOKEN, "/v1/nodes")).status).toBe(401);
    expect((await as(SECRETS.viewer, "/v1/jobs", "POST")).status).toBe(403);
    expect((await as(SECRETS.ci, "/v1/jobs", "POST")).status).toBe(400);

    // The local RUNNER_KEY signs nothing here.
    const withLocalKey = new LocalCluster({ app: TEST_APP, port, persistTo: dir });
    expect((await withLocalKey.asRunner("cpu-1", "/v1/nodes/cpu-1/heartbeat", { method: "POST", body: {} })).status).toBe(401);
  });
});
