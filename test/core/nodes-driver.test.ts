/**
 * Admission (MAX_RUNNING_JOBS) and node membership through the commander (JobDriver over in-memory acceptors): MAX_NODES,
 * registrations that cannot roll back (also after a restart), silent runners expiring, removal
 * moving calls elsewhere, and what the log says of a runner that refuses a call.
 */
import { stage } from "../shared/calls.ts";
import type { Viewer } from "../../core/jobs/tenancy.ts";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { encode } from "../../core/codec.ts";
import type { NodeSpec } from "../../core/jobs/decisions.ts";
import { inlinePayload } from "../../core/jobs/payload.ts";
import { type RunnerAllow, parseRunnerAllow } from "../../core/net/runner-url.ts";
import { LOCAL_RUNNER_ALLOW } from "../../cli/local-cluster.ts";
import type { Env } from "../../durable-objects/env.ts";
import { runnerBackends } from "../../durable-objects/runner-backends.ts";
import { errorCode } from "../../runtime/errors.ts";
import type { Backends } from "../../runtime/jobs/backends.ts";
import type { JobView } from "../../runtime/jobs/contract.ts";
import type { Payloads } from "../../runtime/jobs/payload-store.ts";
import { realTimers } from "../../runtime/timers.ts";
import { retrying } from "../shared/jobs-conformance.ts";
import { type MemoryShard, type MemoryShardOptions, memoryShard, workerBackend } from "./support/memory-driver.ts";

const HOUR = 3_600_000;
const LOAD = { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 };
/** Much faster than the built-in backends: placement picks it first. */
const runner = (id: string, url = `http://${id}.test`): NodeSpec => ({ id, kind: "runner", url, caps: ["cpu"], speed: { cpu: 100 }, slots: 4, latencyMs: 0.1, bandwidthMBps: 1_000 });

/** Runners that take every call and never answer. */
const holding = (payloads: Payloads): Backends => ({ worker: workerBackend(payloads), sendToRunner: async () => undefined, probeRunner: async () => LOAD });

const allow = (raw: string): RunnerAllow => {
  const parsed = parseRunnerAllow(raw);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.allow;
};

let shard: MemoryShard | undefined;
const servers: Server[] = [];
afterEach(async () => {
  shard?.close();
  shard = undefined;
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

function start(options: Partial<MemoryShardOptions> = {}): MemoryShard {
  shard = memoryShard({ backends: holding, ...options });
  return shard;
}

const refusal = (work: Promise<unknown>) => work.then(() => "accepted", (error: unknown) => errorCode(error));
const ids = async (s: MemoryShard) => (await s.driver().listNodes()).filter((n) => n.spec.kind === "runner").map((n) => n.spec.id);
const removals = async (s: MemoryShard) =>
  (await s.driver().commander.read(1, 1_000))
    .flatMap((c) => JSON.stringify(c.entry).match(/"type":"node\.removed","node":"[^"]+","at":\d+,"reason":"[^"]*"/g) ?? []);

/** The jobs here are read as an admin: who may see a job is not what these tests are about. */
const ADMIN: Viewer = { kind: "admin", name: "ops" };

async function submit(s: MemoryShard, id: string): Promise<void> {
  await retrying(() => s.driver().submitJob({ id, name: "shapes/spin", input: inlinePayload(encode({ iterations: 10, salt: 1 })), waitMs: 0, submittedBy: "ops" }));
}

const finished = async (s: MemoryShard, id: string): Promise<JobView> => (await s.driver().getJob(id, ADMIN, 20_000))!;

async function timeoutDetail(s: MemoryShard, job: string): Promise<string> {
  const reply = await s.driver().jobEvents(job, ADMIN, 0, 0);
  return reply!.events.find((e) => e.type === "call.timeout")?.detail ?? "";
}

describe("MAX_RUNNING_JOBS", () => {
  it("refuses a new job while the shard runs that many, saying so; one ending makes room, and a known job is found as before", async () => {
    const s = start({ maxRunningJobs: 2 });
    await retrying(() => s.driver().registerNode(runner("a"), 1));
    await submit(s, "j-held-1");
    await submit(s, "j-held-2");
    const refused = await s.driver().submitJob({ id: "j-third", name: "shapes/spin", input: inlinePayload(encode({ iterations: 10, salt: 3 })), waitMs: 0, submittedBy: "ops" }).catch((e: unknown) => e);
    expect(errorCode(refused)).toBe("too-many-running");
    expect(String(refused)).toContain("runs 2 jobs and MAX_RUNNING_JOBS is 2");
    // Submitting a job that exists is not a new one.
    expect((await s.driver().submitJob({ id: "j-held-1", name: "shapes/spin", input: inlinePayload(encode({ iterations: 10, salt: 1 })), waitMs: 0, submittedBy: "ops" })).created).toBe(false);
    await s.driver().cancelJob("j-held-1", ADMIN, "make room");
    await submit(s, "j-third");
    expect((await s.driver().getJob("j-third", ADMIN))!.status).toBe("running");
  });
});

describe("MAX_NODES", () => {
  it("refuses a new node beyond it, but not a registered one registering again; a removal makes room", async () => {
    const s = start({ maxNodes: 2 });
    await retrying(() => s.driver().registerNode(runner("a"), 1));
    await s.driver().registerNode(runner("b"), 1);
    const refused = await s.driver().registerNode(runner("c"), 1).catch((error: unknown) => error);
    expect(errorCode(refused)).toBe("too-many-nodes");
    expect(String(refused)).toContain("MAX_NODES allows (2)");
    expect(await refusal(retrying(() => s.driver().registerNode(runner("a"), 2)))).toBe("accepted");
    await s.driver().removeNode("b", "test makes room");
    expect(await refusal(retrying(() => s.driver().registerNode(runner("c"), 1)))).toBe("accepted");
    expect(await ids(s)).toEqual(["a", "c"]);
  });
});

describe("registrations cannot roll back", () => {
  it("refuses a registration not signed later than the current one, also after the commander restarts", async () => {
    const s = start();
    await retrying(() => s.driver().registerNode({ ...runner("r"), slots: 1 }, 100));
    expect(await refusal(retrying(() => s.driver().registerNode({ ...runner("r"), slots: 9 }, 100)))).toBe("stale-registration");
    expect(await refusal(retrying(() => s.driver().registerNode({ ...runner("r"), slots: 9 }, 50)))).toBe("stale-registration");
    expect(await refusal(retrying(() => s.driver().registerNode({ ...runner("r"), slots: 2 }, 200)))).toBe("accepted");
    // A new incarnation knows the node's registration time from the log alone.
    s.crash();
    expect(await refusal(retrying(() => s.driver().registerNode({ ...runner("r"), slots: 9 }, 200)))).toBe("stale-registration");
    // The runner restarting signs later: taken.
    expect(await refusal(retrying(() => s.driver().registerNode({ ...runner("r"), slots: 3 }, 300)))).toBe("accepted");
    expect((await s.driver().listNodes()).find((n) => n.spec.id === "r")).toMatchObject({ signedAt: 300, spec: { slots: 3 } });
  });
});

describe("NODE_EXPIRY", () => {
  it("removes runners the leader has not heard from for the expiry, through the log; heartbeating ones stay", async () => {
    let skew = 0;
    const s = start({ timers: { ...realTimers, now: () => Date.now() + skew }, nodeExpiryMs: HOUR });
    await retrying(() => s.driver().registerNode(runner("silent"), 1));
    await s.driver().registerNode(runner("beating"), 1);
    await s.driver().tick();
    expect(await ids(s)).toEqual(["silent", "beating"]);
    skew = 2 * HOUR;
    await s.driver().heartbeat("beating", LOAD);
    await s.driver().tick();
    expect(await ids(s)).toEqual(["beating"]);
    const [removal] = await removals(s);
    expect(removal).toMatch(/"node":"silent".*no word from it for 72\d\d s \(NODE_EXPIRY_MS is 3600000\)/);
    // Removed in the log: a new incarnation does not know it either.
    s.crash();
    expect(await retrying(() => ids(s))).toEqual(["beating"]);
  });

  it("notices with its own timer", async () => {
    const s = start({ nodeExpiryMs: 200 });
    await retrying(() => s.driver().registerNode(runner("gone"), 1));
    await vi.waitFor(async () => expect(await ids(s)).toEqual([]), { timeout: 15_000, interval: 20 });
    expect(await removals(s)).toHaveLength(1);
  });
});

describe("removing a node", () => {
  it("moves its calls in flight to other nodes, as for an unresponsive node", async () => {
    const s = start();
    await retrying(() => s.driver().registerNode(runner("holder"), 1));
    await submit(s, "j-held");
    await vi.waitFor(async () => expect(stage((await s.driver().getJob("j-held", ADMIN))!.calls[0]).attempts[0]?.node).toBe("holder"), { timeout: 15_000, interval: 10 });
    const removed = await s.driver().removeNode("holder", 'deleted by token "ops"');
    expect(removed?.spec.id).toBe("holder");
    const job = await finished(s, "j-held");
    expect(job.status).toBe("done");
    expect(stage(job.calls[0]).attempts.map((a) => a.node)).toEqual(["holder", "worker"]);
    expect(await timeoutDetail(s, "j-held")).toContain('holder was removed (deleted by token "ops")');
    expect(await s.driver().removeNode("holder", "again")).toBeNull();
  });
});

describe("calling runners", () => {
  /** A runner URL that answers every request with `status` and a body the log must not show. */
  async function answering(status: number): Promise<string> {
    const server = createServer((_req, res) => res.writeHead(status, { "content-type": "text/plain" }).end("SECRET-BODY from whatever listens there"));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const real = (allowed: RunnerAllow) => (payloads: Payloads) => ({ ...runnerBackends({} as Env, allowed), worker: workerBackend(payloads) });

  it("records a refused call's status and a fixed reason, never the runner's answer", async () => {
    const url = await answering(502);
    const s = start({ backends: real(allow(LOCAL_RUNNER_ALLOW)) });
    await retrying(() => s.driver().registerNode(runner("bad-gateway", url), 1));
    await submit(s, "j-502");
    const job = await finished(s, "j-502");
    expect(stage(job.calls[0]).attempts.map((a) => a.node)).toEqual(["bad-gateway", "worker"]);
    const detail = await timeoutDetail(s, "j-502");
    expect(detail).toContain(`POST ${url}/v1/calls: runner answered 502`);
    expect(detail).not.toContain("SECRET");
  });

  it("does not call a runner whose URL RUNNER_ALLOW does not allow (registered before the rule), and marks it unresponsive", async () => {
    const url = await answering(202);
    const s = start({ backends: real(allow("")) });
    await retrying(() => s.driver().registerNode(runner("old", url), 1));
    await submit(s, "j-old");
    expect((await finished(s, "j-old")).status).toBe("done");
    expect(await timeoutDetail(s, "j-old")).toContain("not calling old: url 127.0.0.1 is a loopback address");
    expect((await s.driver().listNodes()).find((n) => n.spec.id === "old")?.status).toBe("unresponsive");
  });
});
