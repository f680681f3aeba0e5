/**
 * The runner side of the runner protocol (core/jobs/protocol.ts, docs/runner-protocol.md):
 * an HTTP server the plane posts calls to, a queue that runs up to `slots` of them at once
 * through an executor, result reports back to the plane, and registration plus heartbeats.
 * What runs a stage is the executor's business, so the CPU runner and the gpu-runner share
 * everything else.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { type Value, CodecError, decode, encode } from "../core/codec.ts";
import type { NodeId, NodeLoad, SpeedProfile } from "../core/jobs/decisions.ts";
import { DEFAULT_INLINE_PAYLOAD_BYTES, fromBase64, toBase64 } from "../core/jobs/payload.ts";
import { type CallRequest, type HeartbeatReply, QUEUED_CALLS_PER_SLOT, type RegisterRequest, type ResultReport, type RunnerStatus } from "../core/jobs/protocol.ts";
import type { Cap } from "../core/sdk/caps.ts";
import type { CallFailure } from "../core/sdk/replay.ts";
import { checkCodeIdentity } from "../core/sdk/code-identity.ts";
import { parseCallRequest } from "./call-request.ts";
import { errorBody, readBody, sendJson } from "./http.ts";
import { PayloadCache, sha256Hex } from "./payload-cache.ts";
import { ReportsRefused, ResultReports } from "./result-reports.ts";
import { MAX_SKEW_MS, verifyForRunner } from "../runtime/runner-signature.ts";
import { type Misbehaviour, lie } from "./misbehaviour.ts";
import { measureProbe } from "./probe.ts";
import { fixStageEnvironment } from "./stage-environment.ts";
import { type AuthHeaders, type PlaneAnswer, type RetryPolicy, PlaneClient, Upload, describeAnswer, networkReason } from "./plane.ts";

/** Runs one stage ("name@version") on a decoded input; a throw is the stage's failure. */
export type Executor = (stage: string, input: Value) => Promise<Value> | Value;

export interface RunnerOptions {
  /** The plane's API base URL, e.g. http://127.0.0.1:8787. */
  readonly apiUrl: string;
  readonly id: NodeId;
  /** Where to listen; default 127.0.0.1 and port 0 (ephemeral). */
  readonly host?: string;
  readonly port?: number;
  /** The URL registered with the plane; default http://127.0.0.1:<port listened on>. */
  readonly advertiseUrl?: string;
  readonly caps: readonly Cap[];
  /** Default { cpu: 1 }. */
  readonly speed?: SpeedProfile;
  /** Calls run at once; default 1. */
  readonly slots?: number;
  /** Declared one-way latency and bandwidth to the plane; default 1 ms and 1000 MB/s (same host). */
  readonly latencyMs?: number;
  readonly bandwidthMBps?: number;
  readonly info?: Readonly<Record<string, string>>;
  /** Heartbeat period until the plane's HeartbeatReply names one; default 1000. */
  readonly heartbeatMs?: number;
  readonly executor: Executor;
  /** Whether this runner bundles the stage; calls for any other are refused with 404. */
  readonly hasStage: (stage: string) => boolean;
  /**
   * The code digest of a bundled stage (its registry's lock: digestOf); a call dispatched for
   * another digest is reported as a failed outcome CodeMismatch, never run. Default: none known.
   */
  readonly digestOf?: (stage: string) => string | undefined;
  /** Extra time per call, to emulate a slower or farther node in tests; default 0. */
  readonly delayMs?: number;
  /** Calls waiting for a slot beyond which new ones get 503 "full"; default slots * QUEUED_CALLS_PER_SLOT (the plane sends no more than that at once). */
  readonly maxQueue?: number;
  /** Budget of the payload cache; default 64 MiB. */
  readonly cacheBytes?: number;
  /**
   * Outputs larger than this many encoded bytes are uploaded (PUT /v1/payloads/:sha256) and
   * reported by reference; smaller ones travel in the report. Default the plane's default
   * INLINE_PAYLOAD_BYTES (16 KiB): the plane inlines a smaller reference anyway.
   */
  readonly inlineBytes?: number;
  /** Largest POST /v1/calls body accepted; default 8 MiB. */
  readonly maxBodyBytes?: number;
  /** How long to keep retrying a result report the plane does not take; default 30 s. */
  readonly resultRetryMs?: number;
  /** How long stop() waits for calls already running (and their reports); default 10 s. */
  readonly stopGraceMs?: number;
  readonly authHeaders?: AuthHeaders;
  /**
   * This runner's secret (runtime/runner-signature.ts). With it, POST /v1/calls and GET
   * /v1/status must be signed by the plane for this runner's id (401 otherwise), so only the
   * plane can hand it work; without it they are open (a runner on a private network, tests).
   */
  readonly secret?: string;
  /** Misbehave on purpose (tests and the chaos suite only; runners/misbehaviour.ts). */
  readonly misbehave?: Misbehaviour;
  /** Extra load figures for heartbeats and status (e.g. a gpu-runner's recent kernel and transfer times). */
  readonly extraLoad?: () => Pick<NodeLoad, "recentComputeMs" | "recentTransferMs">;
  /** Progress and problems, one line each; default console.error. */
  readonly log?: (line: string) => void;
}

export interface Runner {
  readonly id: NodeId;
  /** The URL registered with the plane. */
  readonly url: string;
  /** Settles once the plane has the registration; rejects when the plane refuses it (4xx) or stop() comes first. */
  readonly registered: Promise<void>;
  status(): RunnerStatus;
  /** Stops listening and heartbeating, drops queued calls (the plane re-dispatches them after their deadline), waits for running ones. */
  stop(): Promise<void>;
}

/** A call waiting for a slot; an R2 input is already being fetched, so its transfer overlaps the wait (placement charges it in full: a cautious bound). */
type QueuedCall = { readonly request: CallRequest; readonly input: { readonly value: Value } | { readonly r2: string; readonly fetched: Promise<Uint8Array> } };

const REGISTER_RETRY: RetryPolicy = { firstDelayMs: 250, maxDelayMs: 5_000, giveUpAfterMs: Infinity };
const PAYLOAD_RETRY: RetryPolicy = { firstDelayMs: 100, maxDelayMs: 2_000, giveUpAfterMs: 10_000 };

const callKey = (r: CallRequest) => `${r.job}/${r.seq}#${r.attempt}`;

// The plane refuses a ResultReport whose error is longer (workers/schemas.ts), and a refused
// report would lose the result: cut instead.
const MAX_ERROR_NAME = 200;
const MAX_ERROR_MESSAGE = 16_384;

const failureOf = (error: unknown): CallFailure => {
  const { name, message } = error instanceof Error ? error : { name: "Error", message: String(error) };
  return { name: String(name).slice(0, MAX_ERROR_NAME), message: String(message).slice(0, MAX_ERROR_MESSAGE) };
};

export async function startRunner(options: RunnerOptions): Promise<Runner> {
  fixStageEnvironment();
  const slots = options.slots ?? 1;
  if (!Number.isSafeInteger(slots) || slots < 1) throw new RangeError(`slots must be an integer >= 1, got ${slots}`);
  const maxQueue = options.maxQueue ?? slots * QUEUED_CALLS_PER_SLOT;
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const inlineBytes = options.inlineBytes ?? DEFAULT_INLINE_PAYLOAD_BYTES;
  const resultRetry: RetryPolicy = { firstDelayMs: 200, maxDelayMs: 5_000, giveUpAfterMs: options.resultRetryMs ?? 30_000 };
  const log = options.log ?? ((line: string) => console.error(line));
  const say = (line: string) => log(`runner ${options.id}: ${line}`);
  const misbehave = options.misbehave;
  if (misbehave) say(`misbehaving on purpose (${misbehave.kind}${misbehave.kind === "late" ? ` by ${misbehave.ms} ms` : ""}): for tests only`);
  const plane = new PlaneClient(options.apiUrl, options.authHeaders);
  const cache = new PayloadCache(options.cacheBytes ?? 64 * 1024 * 1024);
  const reports = new ResultReports(async (batch) => {
    const answer = await plane.sendRetrying("POST", `/v1/nodes/${encodeURIComponent(options.id)}/results/batch`, { results: batch }, resultRetry, graceOver.signal);
    if (answer.status >= 400) throw new ReportsRefused(describeAnswer(answer));
    const reply = parseJson(answer.body) as { results?: unknown } | undefined;
    if (!Array.isArray(reply?.results)) throw new Error(`the plane answered ${answer.status} without replies`);
    return (reply.results as { accepted?: unknown; reason?: unknown }[]).map((r) => ({ accepted: r.accepted !== false, ...(r.reason === undefined ? {} : { reason: String(r.reason) }) }));
  });
  const bootedAt = Date.now();

  // Registration and heartbeats end as stop() begins; running calls (their input fetches and
  // result reports) get the grace period.
  const stopNow = new AbortController();
  const graceOver = new AbortController();
  const queue: QueuedCall[] = [];
  const known = new Set<string>();
  const running = new Set<Promise<void>>();
  const fetching = new Map<string, Promise<Uint8Array>>();
  /** Nonces of the plane's signed requests, until they could no longer pass as fresh. */
  const seenNonces = new Map<string, number>();
  let inFlight = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  let stopping: Promise<void> | undefined;

  const load = (): NodeLoad => ({ queue: queue.length, inFlight, bytesIn, bytesOut, ...options.extraLoad?.(), probeMs: measureProbe() });

  const server = createServer((req, res) => {
    handle(req.method ?? "GET", new URL(req.url ?? "/", "http://runner").pathname).catch((error: unknown) => {
      say(`internal error serving ${req.method} ${req.url}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, errorBody("internal", "internal error"));
      else res.destroy();
    });

    async function handle(method: string, path: string): Promise<void> {
      if (path === "/v1/calls") {
        if (method !== "POST") return sendJson(res, 405, errorBody("method_not_allowed", "use POST /v1/calls"), { allow: "POST" });
        return acceptCall();
      }
      if (path === "/v1/status") {
        if (method !== "GET") return sendJson(res, 405, errorBody("method_not_allowed", "use GET /v1/status"), { allow: "GET" });
        const refused = await fromPlane(new Uint8Array(0));
        if (refused) return sendJson(res, 401, errorBody("unauthorized", refused));
        return sendJson(res, 200, status());
      }
      sendJson(res, 404, errorBody("not_found", `no route for ${method} ${path}`));
    }

    /** Why the request is not the plane's (null: it is, or this runner takes anyone's). */
    async function fromPlane(body: Uint8Array): Promise<string | null> {
      if (!options.secret) return null;
      const verdict = await verifyForRunner({
        runnerId: options.id,
        secret: options.secret,
        method: req.method ?? "GET",
        url: req.url ?? "/",
        header: (name) => {
          const v = req.headers[name];
          return Array.isArray(v) ? v[0] : v;
        },
        body,
        now: Date.now(),
      });
      if (!verdict.ok) return verdict.reason;
      if (seenNonces.has(verdict.nonce!)) return `replayed request (nonce ${verdict.nonce} was used already)`;
      seenNonces.set(verdict.nonce!, Date.now() + 2 * MAX_SKEW_MS);
      if (seenNonces.size > 10_000) for (const [n, until] of seenNonces) if (until < Date.now()) seenNonces.delete(n);
      return null;
    }

    async function acceptCall(): Promise<void> {
      const raw = await readBody(req, maxBodyBytes);
      if (raw === null) return sendJson(res, 413, errorBody("payload_too_large", `body exceeds ${maxBodyBytes} bytes`), { connection: "close" });
      const refused = await fromPlane(new Uint8Array(raw));
      if (refused) return sendJson(res, 401, errorBody("unauthorized", refused));
      if (stopping) return sendJson(res, 503, errorBody("stopping", "this runner is shutting down"));
      let body: unknown;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        return sendJson(res, 400, errorBody("invalid_json", "body is not valid JSON"));
      }
      const parsed = parseCallRequest(body);
      if (!parsed.ok) return sendJson(res, 400, errorBody(parsed.error.code, parsed.error.message, parsed.error.field));
      const request = parsed.request;
      if (!options.hasStage(request.stage)) {
        return sendJson(res, 404, errorBody("unknown_stage", `runner ${options.id} does not bundle stage "${request.stage}"`, "stage"));
      }
      // The plane may resend a call whose 202 it did not see; running it twice would only waste a slot.
      if (known.has(callKey(request))) return sendJson(res, 202, { accepted: true });
      if (queue.length >= maxQueue) {
        return sendJson(res, 503, errorBody("full", `runner ${options.id} has ${queue.length} calls queued (limit ${maxQueue})`), { "retry-after": "1" });
      }
      let input: QueuedCall["input"];
      if ("inline" in request.input) {
        // Decoded now so a corrupt input is the sender's 400, not a stage failure in the log.
        try {
          input = { value: decode(fromBase64(request.input.inline)) };
        } catch (error) {
          if (!(error instanceof CodecError)) throw error;
          return sendJson(res, 400, errorBody("invalid_field", `input.inline: ${error.message}`, "input.inline"));
        }
        bytesIn += request.input.bytes;
      } else {
        const fetched = payload(request.input.r2, request.input.bytes);
        // Awaited when the call runs; a failure is reported there, not as an unhandled rejection now.
        fetched.catch(() => {});
        input = { r2: request.input.r2, fetched };
      }
      known.add(callKey(request));
      queue.push({ request, input });
      sendJson(res, 202, { accepted: true });
      pump();
    }
  });

  function pump(): void {
    while (inFlight < slots && queue.length > 0) {
      const call = queue.shift()!;
      inFlight++;
      const done = run(call).finally(() => {
        inFlight--;
        pump();
      });
      running.add(done);
      void done.finally(() => running.delete(done));
    }
  }

  async function run({ request, input }: QueuedCall): Promise<void> {
    let value: Value;
    try {
      value = "value" in input ? input.value : decode(await input.fetched);
    } catch (error) {
      // Not the stage's failure, so not a result: the plane re-dispatches the call after its deadline.
      known.delete(callKey(request));
      say(`dropped call ${callKey(request)} (${request.stage}): cannot get its input: ${failureOf(error).message}`);
      return;
    }
    const startedAt = Date.now();
    if (options.delayMs) await sleep(options.delayMs);
    if (misbehave?.kind === "hang") {
      // Holds the slot and never answers, until the runner stops.
      await new Promise((resolve) => graceOver.signal.addEventListener("abort", resolve, { once: true }));
      return;
    }
    let output: { readonly bytes: Uint8Array; readonly sha256: string } | CallFailure;
    // A call dispatched for other code than this runner bundles under the name is never run (core/sdk/code-identity.ts).
    const identity = checkCodeIdentity(options.digestOf?.(request.stage), request.digest, request.stage);
    if (!identity.ok) {
      say(`refused call ${callKey(request)}: ${identity.error.message}`);
      output = identity.error;
    } else {
      try {
        const result = await options.executor(request.stage, value);
        const bytes = encode(misbehave?.kind === "lie" ? lie(result) : result);
        output = { bytes, sha256: sha256Hex(bytes) };
        cache.put(output.sha256, bytes);
        bytesOut += bytes.byteLength;
      } catch (error) {
        output = failureOf(error);
      }
    }
    const finishedAt = Date.now();
    // The slot is free once the stage ran; the upload and the report go on in the background.
    const reported = settle(request, output, startedAt, finishedAt).finally(() => known.delete(callKey(request)));
    running.add(reported);
    void reported.finally(() => running.delete(reported));
  }

  /**
   * Reports a call's result. A large output is uploaded first, as the bytes it was encoded into
   * (streamed to R2 by the plane, never decoded or re-encoded there), and the report names it;
   * an output the plane cannot take is not reported: the plane re-dispatches the call after its
   * deadline.
   */
  async function settle(request: CallRequest, output: { readonly bytes: Uint8Array; readonly sha256: string } | CallFailure, startedAt: number, finishedAt: number): Promise<void> {
    let outcome: ResultReport["outcome"];
    if (!("bytes" in output)) outcome = { ok: false, error: output };
    else if (output.bytes.byteLength <= inlineBytes) outcome = { ok: true, value: toBase64(output.bytes) };
    else {
      try {
        outcome = { ok: true, value: await upload(output.bytes, output.sha256) };
      } catch (error) {
        say(`dropped the result of ${callKey(request)} (${request.stage}): cannot upload its output: ${failureOf(error).message}`);
        return;
      }
    }
    await sendReport({ job: request.job, seq: request.seq, attempt: request.attempt, outcome, startedAt, finishedAt });
  }

  async function upload(bytes: Uint8Array, sha256: string): Promise<{ r2: string; bytes: number }> {
    const answer = await plane.sendRetrying("PUT", `/v1/payloads/${sha256}`, new Upload(bytes, sha256), resultRetry, graceOver.signal);
    if (answer.status !== 200 && answer.status !== 201) throw new Error(`PUT /v1/payloads/${sha256}: ${describeAnswer(answer)}`);
    return { r2: sha256, bytes: bytes.byteLength };
  }

  /** An R2 payload's bytes: from the cache, or fetched once even when several calls want it. */
  function payload(hash: string, bytes: number): Promise<Uint8Array> {
    const cached = cache.get(hash);
    if (cached) return Promise.resolve(cached);
    let pending = fetching.get(hash);
    if (!pending) {
      pending = fetchPayload(hash, bytes).finally(() => fetching.delete(hash));
      fetching.set(hash, pending);
    }
    return pending;
  }

  async function fetchPayload(hash: string, bytes: number): Promise<Uint8Array> {
    const answer = await plane.sendRetrying("GET", `/v1/payloads/${hash}`, undefined, PAYLOAD_RETRY, graceOver.signal);
    if (answer.status !== 200) throw new Error(`GET /v1/payloads/${hash}: ${describeAnswer(answer)}`);
    // A payload is named by its hash: anything else (truncated, wrong object) must not be run or cached.
    if (answer.body.byteLength !== bytes || sha256Hex(answer.body) !== hash) {
      throw new Error(`GET /v1/payloads/${hash} returned ${answer.body.byteLength} bytes that do not hash to ${hash}`);
    }
    bytesIn += answer.body.byteLength;
    cache.put(hash, answer.body);
    return answer.body;
  }

  async function sendReport(report: ResultReport): Promise<void> {
    if (misbehave?.kind === "late") await sleep(misbehave.ms, undefined, { signal: graceOver.signal }).catch(() => {});
    await reportOnce(report);
    if (misbehave?.kind !== "twice") return;
    const again = await reportOnce(report);
    say(`misbehaving: sent the result of ${report.job}/${report.seq}#${report.attempt} twice; the plane answered: ${again ?? "no answer"}`);
  }

  /** Sends one report (in a batch with whatever else finished meanwhile); returns what the plane said of it (for the misbehaving modes' own lines). */
  async function reportOnce(report: ResultReport): Promise<string | undefined> {
    const what = `result of ${report.job}/${report.seq}#${report.attempt}`;
    const answer = await reports.report(report);
    if (!answer.sent) {
      if (answer.refused) say(`plane refused the ${what}, giving up: ${answer.why}`);
      else say(`${graceOver.signal.aborted ? "stopped before the plane took" : "gave up on"} the ${what}: ${answer.why}`);
      return answer.refused ? answer.why : undefined;
    }
    if (!answer.accepted) say(`plane did not take the ${what}: ${answer.reason ?? "no reason given"}`);
    return `${answer.accepted ? "taken" : "not taken"}${answer.reason === undefined ? "" : ` (${answer.reason})`}`;
  }

  const spec = (url: string): RegisterRequest => ({
    id: options.id,
    url,
    caps: options.caps,
    speed: options.speed ?? { cpu: 1 },
    slots,
    latencyMs: options.latencyMs ?? 1,
    bandwidthMBps: options.bandwidthMBps ?? 1000,
    ...(options.info ? { info: options.info } : {}),
  });

  async function register(url: string): Promise<void> {
    const answer = await plane.sendRetrying("POST", "/v1/nodes", spec(url), REGISTER_RETRY, stopNow.signal, (reason, attempt, delayMs) =>
      say(`registering with ${options.apiUrl}: ${reason}; retry ${attempt} in ${(delayMs / 1000).toFixed(1)} s`),
    );
    if (answer.status >= 300) throw new Error(`the plane at ${options.apiUrl} refused the registration: ${describeAnswer(answer)}`);
  }

  /** Registers, then heartbeats until stop(); registers again whenever the plane has forgotten this node. */
  async function stayRegistered(url: string, registered: () => void): Promise<void> {
    await register(url);
    registered();
    let periodMs = options.heartbeatMs ?? 1_000;
    let unreachable = false;
    let quarantined = false;
    for (;;) {
      await sleep(periodMs, undefined, { signal: stopNow.signal });
      let answer: PlaneAnswer;
      try {
        answer = await plane.send("POST", `/v1/nodes/${encodeURIComponent(options.id)}/heartbeat`, load(), stopNow.signal);
      } catch (error) {
        if (stopNow.signal.aborted) throw error;
        // Once per outage: a plane that is down for a minute should not fill the log.
        if (!unreachable) say(`heartbeat failed: ${networkReason(error)}; will keep trying`);
        unreachable = true;
        continue;
      }
      if (unreachable) say("heartbeat answered again");
      unreachable = false;
      if (answer.status === 404) {
        say("the plane does not know this node (its state was reset?); registering again");
        try {
          await register(url);
        } catch (error) {
          if (stopNow.signal.aborted) throw error;
          say(failureOf(error).message);
        }
        continue;
      }
      if (answer.status >= 300) {
        say(`heartbeat refused: ${describeAnswer(answer)}`);
        continue;
      }
      const reply = parseJson(answer.body) as Partial<HeartbeatReply> | undefined;
      if (typeof reply?.heartbeatMs === "number" && reply.heartbeatMs > 0) periodMs = reply.heartbeatMs;
      if (reply?.status === "quarantined" && !quarantined) say(`QUARANTINED by the plane, it sends no more work: ${reply.reason ?? "no reason given"}`);
      quarantined = reply?.status === "quarantined";
    }
  }

  const status = (): RunnerStatus => ({ id: options.id, ...load(), uptimeMs: Date.now() - bootedAt });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const url = options.advertiseUrl ?? `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let markRegistered = () => {};
  // The membership loop only ever ends by failing, on a refused registration or stop(); `registered` carries that.
  const membership = stayRegistered(url, () => markRegistered());
  const registered = Promise.race([new Promise<void>((resolve) => (markRegistered = resolve)), membership]).catch((error: unknown) => {
    throw stopNow.signal.aborted ? new Error(`runner ${options.id} stopped before it registered`) : error;
  });
  // Whoever awaits `registered` sees the failure; a caller who does not must not crash on it.
  registered.catch(() => {});

  async function stop(graceMs: number): Promise<void> {
    stopNow.abort();
    if (queue.length > 0) say(`stopping: dropped ${queue.length} queued calls (the plane re-dispatches them)`);
    for (const { request } of queue.splice(0)) known.delete(callKey(request));
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = new AbortController();
    await Promise.race([drain(), sleep(graceMs, undefined, { signal: grace.signal }).catch(() => {})]);
    grace.abort();
    graceOver.abort();
    server.closeAllConnections();
    await closed;
  }

  /** Until nothing runs or reports, including what finishing calls start. */
  async function drain(): Promise<void> {
    while (running.size > 0) await Promise.allSettled([...running]);
  }

  return {
    id: options.id,
    url,
    registered,
    status,
    stop: () => (stopping ??= stop(options.stopGraceMs ?? 10_000)),
  };
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}
