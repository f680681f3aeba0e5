import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Value, createRegistry, defineStage, encode } from "../../core/index.ts";
import { fromBase64, inlinePayload } from "../../core/jobs/payload.ts";
import type { CallRequest, ResultReport, RunnerStatus } from "../../core/jobs/protocol.ts";
import { registry as examples } from "../../examples/index.ts";
import { deriveRunnerSecret, newNonce, signRequest } from "../../runtime/runner-signature.ts";
import { type Runner, type RunnerOptions, startRunner } from "../../runners/runner.ts";
import { lie } from "../../runners/misbehaviour.ts";
import { FakePlane } from "../shared/fake-plane.ts";
import { STAGE_ENVIRONMENT } from "../shared/stage-environment.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const until = (check: () => void) => vi.waitFor(check, { timeout: 20_000, interval: 5 });

const planes: FakePlane[] = [];
const runners: Runner[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  await Promise.all(runners.splice(0).map((r) => r.stop()));
  await Promise.all(planes.splice(0).map((p) => p.close()));
});

async function plane(): Promise<FakePlane> {
  const p = await new FakePlane().start();
  planes.push(p);
  return p;
}

const runExample = (stage: string, input: Value) => examples.stages.get(stage)!.run(input);

async function runner(p: FakePlane, options: Partial<RunnerOptions> & { logs?: string[] } = {}): Promise<Runner> {
  const { logs = [], ...rest } = options;
  const r = await startRunner({
    apiUrl: p.url,
    id: "runner-1",
    caps: ["cpu"],
    speed: { cpu: 2 },
    slots: 2,
    latencyMs: 3,
    bandwidthMBps: 50,
    info: { purpose: "test" },
    heartbeatMs: 3_600_000,
    executor: runExample,
    hasStage: (ref) => examples.stages.has(ref),
    log: (line) => logs.push(line),
    ...rest,
  });
  runners.push(r);
  return r;
}

let seq = 0;
const call = (stage: string, input: Value, extra: Partial<CallRequest> = {}): CallRequest => ({
  job: "job-1",
  seq: seq++,
  attempt: 1,
  stage,
  input: inlinePayload(encode(input)),
  deadlineAt: Date.now() + 60_000,
  ...extra,
});

async function post(r: Runner, body: unknown): Promise<{ status: number; json: { error?: { code: string; field?: string; message: string } } }> {
  const response = await fetch(`${r.url}/v1/calls`, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as never };
}


function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe("runner: misbehaving on purpose (tests and the chaos suite)", () => {
  const input = "The cat and the hat";
  const right = () => runExample("word-count/tokenize-count@1", input);

  it("lie: reports a wrong value that still decodes, and says it misbehaves", async () => {
    const p = await plane();
    const logs: string[] = [];
    const r = await runner(p, { misbehave: { kind: "lie" }, logs });
    expect(logs[0]).toMatch(/misbehaving on purpose \(lie\): for tests only/);
    await post(r, call("word-count/tokenize-count@1", input));
    await until(() => expect(p.results).toHaveLength(1));
    expect(p.valueOf(p.results[0]!)).not.toEqual(right());
    expect(p.valueOf(p.results[0]!)).toEqual(lie(right()));
  });

  it("twice: reports each result twice; late: reports it after the delay", async () => {
    const p = await plane();
    const twice = await runner(p, { misbehave: { kind: "twice" } });
    await post(twice, call("word-count/tokenize-count@1", input));
    await until(() => expect(p.results).toHaveLength(2));
    expect(p.results[0]).toEqual(p.results[1]);
    const late = await runner(p, { id: "runner-2", misbehave: { kind: "late", ms: 300 } });
    const sent = Date.now();
    await post(late, call("word-count/tokenize-count@1", input));
    await until(() => expect(p.results).toHaveLength(3));
    expect(Date.now() - sent).toBeGreaterThanOrEqual(300);
    expect(p.valueOf(p.results[2]!)).toEqual(right());
  });

  it("hang: takes the call, holds the slot and never reports", async () => {
    const p = await plane();
    const r = await runner(p, { misbehave: { kind: "hang" }, slots: 1, stopGraceMs: 50 });
    expect((await post(r, call("word-count/tokenize-count@1", input))).status).toBe(202);
    await until(() => expect(r.status().inFlight).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(p.resultPosts).toBe(0);
  });
});

describe("runner: code identity (core/sdk/code-identity.ts)", () => {
  const stage = "word-count/tokenize-count@1";
  const ours = "aaaaaaaaaaaaaaaa";
  const theirs = "bbbbbbbbbbbbbbbb";

  it("refuses a call dispatched for other code with a failed outcome CodeMismatch naming both digests, without running it", async () => {
    const p = await plane();
    let ran = 0;
    const logs: string[] = [];
    const r = await runner(p, { logs, digestOf: (ref) => (ref === stage ? ours : undefined), executor: (ref, input) => (ran++, runExample(ref, input)) });
    expect((await post(r, call(stage, "the cat", { digest: theirs }))).status).toBe(202);
    await until(() => expect(p.results).toHaveLength(1));
    const outcome = p.results[0]!.outcome;
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.name).toBe("CodeMismatch");
    expect(outcome.error).toMatchObject({ code: "code_mismatch", registryDigest: ours, callDigest: theirs, stage });
    expect(outcome.error.message).toContain(`stage ${stage} was dispatched for code ${theirs}, but this backend bundles code ${ours}`);
    expect(ran).toBe(0);
    expect(logs.some((l) => l.includes("refused call") && l.includes("code_mismatch"))).toBe(true);
  });

  it("runs a call whose digest matches, a call without one (an older leader) and any call when it knows no digest (no lock)", async () => {
    const p = await plane();
    const locked = await runner(p, { digestOf: () => ours });
    await post(locked, call(stage, "the cat", { digest: ours }));
    await post(locked, call(stage, "the cat"));
    const unlocked = await runner(p, { id: "runner-2" });
    await post(unlocked, call(stage, "the cat", { digest: theirs }));
    await until(() => expect(p.results).toHaveLength(3));
    expect(p.results.map((res) => res.outcome.ok)).toEqual([true, true, true]);
  });

  it("answers 400 for a digest that is not a non-empty string", async () => {
    const p = await plane();
    const r = await runner(p);
    const bad = await post(r, { ...call(stage, "x"), digest: 7 });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: "invalid_field", field: "digest" });
  });
});

describe("runner: membership", () => {
  it("registers with its spec, then heartbeats at the period the plane names", async () => {
    const p = await plane();
    const r = await runner(p, { heartbeatMs: 10 });
    await r.registered;
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(p.registrations).toEqual([
      { id: "runner-1", url: r.url, caps: ["cpu"], speed: { cpu: 2 }, slots: 2, latencyMs: 3, bandwidthMBps: 50, info: { purpose: "test" } },
    ]);
    await until(() => expect(p.heartbeats).toEqual([{ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0, probeMs: expect.any(Number) }]));
    // Its speed probe: the time of a fixed piece of work, so positive and finite.
    expect(p.heartbeats[0]!.probeMs).toBeGreaterThan(0);
    expect(Number.isFinite(p.heartbeats[0]!.probeMs)).toBe(true);
    // The reply asked for an hour between heartbeats: the runner's own 10 ms no longer applies.
    await sleep(200);
    expect(p.heartbeats).toHaveLength(1);
  });

  it("retries registration until the plane answers, printing progress", async () => {
    const p = await plane();
    p.registerAnswers = [503, 502];
    const logs: string[] = [];
    const r = await runner(p, { logs });
    await r.registered;
    expect(p.registrations).toHaveLength(1);
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatch(/^runner runner-1: registering with http:\/\/127\.0\.0\.1:\d+: HTTP 503 status-503: test plane answers 503; retry 1 in /);
    expect(logs[1]).toMatch(/HTTP 502 .*; retry 2 in /);
  });

  it("gives up when the plane refuses the registration (4xx)", async () => {
    const p = await plane();
    p.registerAnswers = [400];
    const r = await runner(p);
    await expect(r.registered).rejects.toThrow(/refused the registration: HTTP 400 status-400: test plane answers 400/);
    expect(p.registrations).toHaveLength(0);
  });

  it("registers again when a heartbeat answers 404 (the plane forgot the node)", async () => {
    const p = await plane();
    p.heartbeatAnswers = [404];
    const logs: string[] = [];
    const r = await runner(p, { logs, heartbeatMs: 10 });
    await r.registered;
    await until(() => expect(p.registrations).toHaveLength(2));
    expect(p.registrations[1]).toEqual(p.registrations[0]);
    expect(logs.some((l) => l.includes("does not know this node"))).toBe(true);
  });
});

describe("runner: only the plane may hand it work (with a secret)", () => {
  it("refuses unsigned, wrongly signed, other-runner and replayed calls and status probes (401); takes the plane's", async () => {
    const p = await plane();
    const secret = await deriveRunnerSecret("plane-key", "runner-1");
    const r = await runner(p, { secret });
    const request = call("word-count/tokenize-count@1", "signed call");
    const body = JSON.stringify(request);
    const sendAs = async (as: string, withSecret: string, text = body, nonce = newNonce()) => {
      const headers = await signRequest({ runnerId: as, secret: withSecret, method: "POST", url: "/v1/calls", body: text, now: Date.now(), nonce });
      const response = await fetch(`${r.url}/v1/calls`, { method: "POST", headers, body: text });
      const json = (await response.json()) as { error?: { message: string } };
      return { status: response.status, text: json.error?.message ?? "" };
    };
    expect(await post(r, request)).toMatchObject({ status: 401, json: { error: { code: "unauthorized" } } });
    expect((await sendAs("runner-1", "a-guess")).text).toContain("bad signature");
    expect((await sendAs("runner-2", await deriveRunnerSecret("plane-key", "runner-2"))).text).toContain('signed for runner "runner-2", not this one');
    const nonce = newNonce();
    expect((await sendAs("runner-1", secret, body, nonce)).status).toBe(202);
    expect((await sendAs("runner-1", secret, body, nonce)).text).toContain("replayed request");
    await until(() => expect(p.results).toHaveLength(1));
    expect((await fetch(`${r.url}/v1/status`)).status).toBe(401);
    const statusHeaders = await signRequest({ runnerId: "runner-1", secret, method: "GET", url: "/v1/status", now: Date.now(), nonce: newNonce() });
    expect((await fetch(`${r.url}/v1/status`, { headers: statusHeaders })).status).toBe(200);
  });
});

describe("runner: calls", () => {
  it("runs an inline call and reports the stage's value as base64 CBOR", async () => {
    const p = await plane();
    const r = await runner(p);
    const request = call("word-count/tokenize-count@1", "The cat and the hat");
    expect(await post(r, request)).toEqual({ status: 202, json: { accepted: true } });
    await until(() => expect(p.results).toHaveLength(1));
    const [report] = p.results as [ResultReport];
    expect(report).toMatchObject({ job: request.job, seq: request.seq, attempt: 1, outcome: { ok: true } });
    expect(p.valueOf(report)).toEqual(runExample("word-count/tokenize-count@1", "The cat and the hat"));
    expect(report.startedAt).toBeLessThanOrEqual(report.finishedAt);
  });

  it("fetches an R2 input once, even for calls that want it at the same time, and caches it", async () => {
    const p = await plane();
    const bytes = encode([1, 2, 3, 4]);
    const hash = sha256(bytes);
    p.payloads.set(hash, bytes);
    const { open, opened } = gate();
    p.payloadsReady = opened;
    const r = await runner(p, { slots: 2 });
    const r2 = { r2: hash, bytes: bytes.byteLength };
    for (let i = 0; i < 2; i++) expect((await post(r, call("dag/add@1", null, { input: r2 }))).status).toBe(202);
    await until(() => expect(r.status().inFlight).toBe(2));
    open();
    await until(() => expect(p.results).toHaveLength(2));
    expect(await post(r, call("dag/mul@1", null, { input: r2 }))).toMatchObject({ status: 202 });
    await until(() => expect(p.results).toHaveLength(3));
    expect(p.results.map((r) => p.valueOf(r))).toEqual([10, 10, 24]);
    expect(p.payloadGets).toEqual([hash]);
  });

  it("fetches a queued call's R2 input while the call waits for a slot", async () => {
    const p = await plane();
    const bytes = encode([5, 6]);
    const hash = sha256(bytes);
    p.payloads.set(hash, bytes);
    // One slot, held by a call that takes a while.
    const r = await runner(p, { slots: 1, delayMs: 300 });
    expect((await post(r, call("dag/add@1", [1, 2]))).status).toBe(202);
    await until(() => expect(r.status().inFlight).toBe(1));
    expect((await post(r, call("dag/add@1", null, { input: { r2: hash, bytes: bytes.byteLength } }))).status).toBe(202);
    // Fetched while still queued behind the running call.
    await until(() => expect(p.payloadGets).toEqual([hash]));
    expect(r.status()).toMatchObject({ queue: 1, inFlight: 1 });
    expect(p.results).toEqual([]);
    await until(() => expect(p.results).toHaveLength(2));
    expect(p.results.map((r) => p.valueOf(r))).toEqual([3, 11]);
  });

  it("uploads an output above its inline limit as the bytes it encoded, and reports their reference", async () => {
    const p = await plane();
    const r = await runner(p, { inlineBytes: 8 });
    await post(r, call("dag/add@1", [1, 2, 3]));
    await post(r, call("word-count/tokenize-count@1", "a b a"));
    await until(() => expect(p.results).toHaveLength(2));
    const bySeq = [...p.results].sort((a, b) => a.seq - b.seq);
    // 6 encodes to one byte: inline; the word counts do not fit in 8.
    expect(typeof (bySeq[0]!.outcome as { value: unknown }).value).toBe("string");
    const counts = runExample("word-count/tokenize-count@1", "a b a");
    const ref = (bySeq[1]!.outcome as { value: { r2: string; bytes: number } }).value;
    expect(ref).toEqual({ r2: sha256(encode(counts)), bytes: encode(counts).byteLength });
    expect(p.payloadPuts).toEqual([ref.r2]);
    expect([...p.payloads.get(ref.r2)!]).toEqual([...encode(counts)]);
    expect(p.valueOf(bySeq[1]!)).toEqual(counts);
  });

  it("needs no fetch for an R2 input it produced itself", async () => {
    const p = await plane();
    const r = await runner(p);
    await post(r, call("dag/add@1", [1, 2, 3]));
    await until(() => expect(p.results).toHaveLength(1));
    const produced = fromBase64((p.results[0]!.outcome as { value: string }).value);
    await post(r, call("dag/neg@1", null, { input: { r2: sha256(produced), bytes: produced.byteLength } }));
    await until(() => expect(p.results).toHaveLength(2));
    expect(p.valueOf(p.results[1]!)).toBe(-6);
    expect(p.payloadGets).toEqual([]);
  });

  it("drops a call whose R2 input the plane does not have, reporting nothing", async () => {
    const p = await plane();
    const logs: string[] = [];
    const r = await runner(p, { logs });
    const missing = sha256(encode("nowhere"));
    expect((await post(r, call("dag/neg@1", null, { input: { r2: missing, bytes: 8 } }))).status).toBe(202);
    await until(() => expect(logs.some((l) => l.includes("cannot get its input") && l.includes("HTTP 404"))).toBe(true));
    expect(p.results).toEqual([]);
    expect(r.status()).toMatchObject({ queue: 0, inFlight: 0 });
  });

  it("reports a stage that throws, or returns what is not a value, as ok: false with name and message (cut to the plane's limits)", async () => {
    const boom = defineStage({
      name: "boom",
      version: 1,
      caps: ["cpu"],
      timeoutMs: 1_000,
      cost: { runtimeMs: () => 1, outputBytes: () => 1 },
      run: (x: number): number => {
        throw new RangeError(`no ${x}`);
      },
    });
    const dated = defineStage({
      name: "dated",
      version: 1,
      caps: ["cpu"],
      timeoutMs: 1_000,
      cost: { runtimeMs: () => 1, outputBytes: () => 1 },
      run: (): number => new Date(0) as unknown as number,
    });
    const verbose = defineStage({
      name: "verbose",
      version: 1,
      caps: ["cpu"],
      timeoutMs: 1_000,
      cost: { runtimeMs: () => 1, outputBytes: () => 1 },
      run: (n: number): number => {
        throw new Error("x".repeat(n));
      },
    });
    const registry = createRegistry({ boom, dated, verbose });
    const p = await plane();
    const r = await runner(p, { slots: 1, executor: (ref, input) => registry.stages.get(ref)!.run(input), hasStage: (ref) => registry.stages.has(ref) });
    await post(r, call("boom@1", 7));
    await post(r, call("dated@1", 7));
    await post(r, call("verbose@1", 100_000));
    await until(() => expect(p.results).toHaveLength(3));
    expect(p.results.map((x) => x.outcome)).toEqual([
      { ok: false, error: { name: "RangeError", message: "no 7" } },
      { ok: false, error: { name: "CodecError", message: "value is a Date; use plain objects, arrays and typed arrays" } },
      // Cut to what the plane's ResultReport schema takes, rather than refused and lost.
      { ok: false, error: { name: "Error", message: "x".repeat(16_384) } },
    ]);
  });

  it("refuses a stage it does not bundle with 404", async () => {
    const p = await plane();
    const r = await runner(p);
    expect(await post(r, call("no-such-stage@1", 1))).toEqual({
      status: 404,
      json: { error: { code: "unknown_stage", message: 'runner runner-1 does not bundle stage "no-such-stage@1"', field: "stage" } },
    });
    expect(r.status()).toMatchObject({ queue: 0, inFlight: 0 });
  });

  it("refuses bad bodies with 400 naming the field", async () => {
    const p = await plane();
    const r = await runner(p);
    const good = call("dag/neg@1", 1);
    const without = (field: string) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== field));
    const cases: [unknown, string, string | undefined][] = [
      ["{not json", "invalid_json", undefined],
      [[good], "invalid_body", undefined],
      [without("job"), "missing_field", "job"],
      [without("deadlineAt"), "missing_field", "deadlineAt"],
      [{ ...good, job: "" }, "invalid_field", "job"],
      [{ ...good, seq: -1 }, "invalid_field", "seq"],
      [{ ...good, seq: 1.5 }, "invalid_field", "seq"],
      [{ ...good, attempt: 0 }, "invalid_field", "attempt"],
      [{ ...good, stage: 3 }, "invalid_field", "stage"],
      [{ ...good, deadlineAt: "soon" }, "invalid_field", "deadlineAt"],
      [{ ...good, input: "AQ==" }, "invalid_field", "input"],
      [{ ...good, input: { inline: "AQ==" } }, "missing_field", "input.bytes"],
      [{ ...good, input: { bytes: 1 } }, "invalid_field", "input"],
      [{ ...good, input: { inline: "AQ==", r2: sha256(encode(1)), bytes: 1 } }, "invalid_field", "input"],
      [{ ...good, input: { inline: "not base64!", bytes: 1 } }, "invalid_field", "input.inline"],
      [{ ...good, input: { inline: "AQID", bytes: 2 } }, "invalid_field", "input.bytes"],
      [{ ...good, input: { inline: "/w==", bytes: 1 } }, "invalid_field", "input.inline"], // 0xff is not CBOR
      [{ ...good, input: { r2: "ABC", bytes: 1 } }, "invalid_field", "input.r2"],
    ];
    for (const [body, code, field] of cases) {
      const { status, json } = await post(r, body);
      expect({ status, code: json.error?.code, field: json.error?.field }, JSON.stringify(body)).toEqual({ status: 400, code, field });
      if (field) expect(json.error?.message).toContain(field);
    }
    expect((await fetch(`${r.url}/v1/calls`)).status).toBe(405);
    expect((await fetch(`${r.url}/v1/elsewhere`)).status).toBe(404);
    expect(r.status()).toMatchObject({ queue: 0, inFlight: 0, bytesIn: 0 });
  });

  it("runs at most `slots` calls at once, delay included", async () => {
    const p = await plane();
    let active = 0;
    let most = 0;
    // Calls hold their slots until every call was accepted, so the limit is what stops the third.
    const { open, opened } = gate();
    const r = await runner(p, {
      slots: 2,
      delayMs: 20,
      hasStage: () => true,
      executor: async (_stage, input) => {
        most = Math.max(most, ++active);
        await opened;
        await sleep(5);
        active--;
        return input;
      },
    });
    for (let i = 0; i < 6; i++) expect((await post(r, call("echo@1", i))).status).toBe(202);
    await until(() => expect(r.status()).toMatchObject({ inFlight: 2, queue: 4 }));
    open();
    await until(() => expect(p.results).toHaveLength(6));
    expect(most).toBe(2);
    expect(p.results.map((r) => p.valueOf(r)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("answers 503 full once the queue holds maxQueue calls, and accepts a resent call once", async () => {
    const p = await plane();
    const { open, opened } = gate();
    const r = await runner(p, { slots: 1, maxQueue: 1, hasStage: () => true, executor: async (_s, input) => (await opened, input) });
    const first = call("echo@1", "a");
    const second = call("echo@1", "b");
    expect((await post(r, first)).status).toBe(202);
    expect((await post(r, second)).status).toBe(202);
    expect(await post(r, second)).toEqual({ status: 202, json: { accepted: true } });
    const full = await post(r, call("echo@1", "c"));
    expect(full.status).toBe(503);
    expect(full.json.error?.code).toBe("full");
    open();
    await until(() => expect(p.results).toHaveLength(2));
    await sleep(50);
    expect(p.results.map((r) => p.valueOf(r))).toEqual(["a", "b"]);
  });

  it("GET /v1/status counts the queue, calls in flight and bytes", async () => {
    const p = await plane();
    const { open, opened } = gate();
    const r = await runner(p, { slots: 1, hasStage: () => true, executor: async (_s, input) => (await opened, [input, input]) });
    const inputs = ["x", "yy", "zzz"];
    for (const x of inputs) await post(r, call("twice@1", x));
    const status = async () => (await (await fetch(`${r.url}/v1/status`)).json()) as RunnerStatus;
    await until(async () => expect(await status()).toMatchObject({ id: "runner-1", queue: 2, inFlight: 1, bytesOut: 0 }));
    open();
    await until(() => expect(p.results).toHaveLength(3));
    const final = await status();
    expect(final).toMatchObject({
      queue: 0,
      inFlight: 0,
      bytesIn: inputs.reduce((n, x) => n + encode(x).byteLength, 0),
      bytesOut: inputs.reduce((n, x) => n + encode([x, x]).byteLength, 0),
    });
    expect(final.uptimeMs).toBeGreaterThanOrEqual(0);
  });

  it("retries a result report on 5xx and gives up on 4xx", async () => {
    const p = await plane();
    const logs: string[] = [];
    const r = await runner(p, { logs, slots: 1 });
    p.resultAnswers = [500, 503];
    await post(r, call("dag/neg@1", 1));
    await until(() => expect(p.results).toHaveLength(1));
    expect(p.resultPosts).toBe(3);
    p.resultAnswers = [409];
    await post(r, call("dag/neg@1", 2));
    await until(() => expect(logs.some((l) => /refused the result of job-1\/\d+#1, giving up: HTTP 409/.test(l))).toBe(true));
    expect(p.resultPosts).toBe(4);
    expect(p.results).toHaveLength(1);
  });
});

describe("runner: stop", () => {
  it("finishes and reports the running call, drops the queued one, stops heartbeats and listening", async () => {
    const p = await plane();
    p.heartbeatReply = { status: "up", heartbeatMs: 10 };
    const { open, opened } = gate();
    let started = 0;
    const r = await runner(p, { slots: 1, heartbeatMs: 10, hasStage: () => true, executor: async (_s, input) => (started++, await opened, input) });
    await r.registered;
    await post(r, call("echo@1", "running"));
    await post(r, call("echo@1", "queued"));
    await until(() => expect(started).toBe(1));
    const stopped = r.stop();
    expect(r.stop()).toBe(stopped);
    open();
    await stopped;
    expect(p.results.map((r) => p.valueOf(r))).toEqual(["running"]);
    expect(started).toBe(1);
    const heartbeats = p.heartbeats.length;
    await expect(fetch(`${r.url}/v1/status`)).rejects.toThrow();
    await sleep(100);
    expect(p.heartbeats).toHaveLength(heartbeats);
  });

  it("does not wait past the grace period for a call that never ends", async () => {
    const p = await plane();
    const logs: string[] = [];
    const r = await runner(p, { logs, stopGraceMs: 50, hasStage: () => true, executor: () => new Promise<Value>(() => {}) });
    await post(r, call("forever@1", 1));
    await until(() => expect(r.status().inFlight).toBe(1));
    await r.stop();
    expect(p.results).toEqual([]);
  });

  it("rejects `registered` when stopped before the plane answered", async () => {
    const p = await plane();
    p.registerAnswers = Array(100).fill(503);
    const r = await runner(p);
    await r.stop();
    await expect(r.registered).rejects.toThrow("runner runner-1 stopped before it registered");
  });
});

describe("cpu-runner (CLI)", () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "runners/cpu-runner.ts", "--registry", "examples/index.ts", ...args], { cwd: ROOT, encoding: "utf8" });

  it("registers with caps [cpu], runs example stages, and exits 0 on SIGTERM", async () => {
    const p = await plane();
    const child = spawn(process.execPath, ["--import", "tsx", "runners/cpu-runner.ts", "--registry", "examples/index.ts", "--api", p.url, "--id", "cli-1", "--speed", "1.5"], { cwd: ROOT });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await until(() => expect(stdout).toContain("registered with"));
    const line = /^cpu-runner cli-1 listening on (http:\/\/127\.0\.0\.1:\d+), registered with (.+)\n$/.exec(stdout);
    expect(line?.[2]).toBe(p.url);
    expect(p.registrations).toEqual([expect.objectContaining({ id: "cli-1", url: line![1], caps: ["cpu", "simd"], speed: { cpu: 1.5 }, slots: 1 })]);
    const r = { url: line![1]! } as Runner;
    expect((await post(r, call("dag/mul@1", [2, 3, 7]))).status).toBe(202);
    await until(() => expect(p.results).toHaveLength(1));
    expect(p.valueOf(p.results[0]!)).toBe(42);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toContain("SIGTERM, stopping");
  });

  it("runs stages in UTC and en-US when started directly from another time zone (runners/stage-environment.ts)", async () => {
    const p = await plane();
    const env = { ...process.env, TZ: "America/New_York", LC_ALL: "en_US.UTF-8" };
    const args = ["--import", "tsx", "runners/cpu-runner.ts", "--registry", "test/shared/registry.ts", "--api", p.url, "--id", "cli-tz"];
    const child = spawn(process.execPath, args, { cwd: ROOT, env });
    children.push(child);
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    await until(() => expect(stdout).toContain("registered with"));
    const r = { url: /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]! } as Runner;
    expect((await post(r, call("shapes/environment@1", null))).status).toBe(202);
    await until(() => expect(p.results).toHaveLength(1));
    expect(p.valueOf(p.results[0]!)).toEqual(STAGE_ENVIRONMENT);
  });

  it("refuses to start (exit 2), saying how to start it, in another default locale: Node fixes it at process start", () => {
    const env: NodeJS.ProcessEnv = { ...process.env, LANG: "de_DE.UTF-8" };
    delete env.LC_ALL;
    const r = spawnSync(process.execPath, ["--import", "tsx", "runners/cpu-runner.ts", "--registry", "examples/index.ts", "--api", "http://127.0.0.1:1"], { cwd: ROOT, env, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain("error: this process's default locale is de-DE, but stages run in en-US on every backend; start the runner with LC_ALL=en_US.UTF-8");
  });

  it("exits 2 naming --registry when it is missing: a runner serves only the stages it is given", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "runners/cpu-runner.ts", "--api", "http://127.0.0.1:1"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error: required option '--registry <path>' not specified");
  });

  it("exits 2 with a message for a bad flag", () => {
    const r = cli("--api", "http://127.0.0.1:1", "--slots", "0");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error: option '--slots <n>' argument '0' is invalid. expected an integer from 1 to 1024");
    const unknown = cli("--api", "http://127.0.0.1:1", "--bogus");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("error: unknown option '--bogus'");
  });

  it("exits 2 for an unknown --misbehave mode, naming the modes", () => {
    const r = cli("--api", "http://127.0.0.1:1", "--misbehave", "sometimes");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('expected one of lie | hang | twice | late=<ms>, got "sometimes"');
  });

  it("exits 2 for a registry module that does not export `registry`", () => {
    const r = cli("--api", "http://127.0.0.1:1", "--registry", "core/codec.ts");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("error: core/codec.ts does not export `registry` (export const registry = createRegistry(...stage modules))");
  });
});
