import type { NodeLoad } from "../core/jobs/decisions.ts";
import { type RunnerAllow, checkRunnerUrl } from "../core/net/runner-url.ts";
import type { Backends, RunnerAddress } from "../runtime/jobs/backends.ts";
import { deriveRunnerSecret, newNonce, signRequest } from "../runtime/runner-signature.ts";
import { PaxflowError } from "../runtime/errors.ts";
import type { Env } from "./env.ts";

/** How long a runner has to accept a call or answer a status probe. */
const RUNNER_ANSWER_MS = 5_000;

/**
 * `{origin}/v1/...` for a runner whose URL RUNNER_ALLOW (still) allows. Registration checks it
 * too; checked again here for nodes registered before the rule, or before RUNNER_ALLOW narrowed.
 * Refused counts as unreachable: the node is marked unresponsive and gets no more calls.
 */
function endpoint(runner: RunnerAddress, allow: RunnerAllow, path: string): string {
  const checked = checkRunnerUrl(runner.url, allow);
  if (!checked.ok) throw new PaxflowError("runner-unreachable", `not calling ${runner.id}: url ${checked.message}`);
  return `${checked.origin}${path}`;
}

/** The `error.code` of a runner's JSON error body, if it has one. */
async function errorCodeOf(response: Response): Promise<unknown> {
  try {
    const body = (await response.json()) as { error?: { code?: unknown } } | null;
    return body?.error?.code;
  } catch {
    return undefined;
  }
}

async function askRunner(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(RUNNER_ANSWER_MS) });
  } catch (error) {
    throw new PaxflowError("runner-unreachable", `${init.method ?? "GET"} ${url} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok) {
    // 503 "full": its queue is at its limit, a matter of waiting, not a failing runner (only the
    // code is read). Otherwise only the status goes on: this message ends up in the log
    // (call.timeout), which every read token sees, and a body is whatever the host at that URL
    // chose to say.
    let full = false;
    if (response.status === 503) full = (await errorCodeOf(response)) === "full";
    else await response.body?.cancel();
    throw new PaxflowError(full ? "runner-busy" : "runner-refused", `${init.method ?? "GET"} ${url}: runner answered ${response.status}`);
  }
  return response;
}

/**
 * The plane signs what it sends a runner as the runner signs what it sends the plane
 * (runtime/runner-signature.ts), with that runner's secret: a runner that has its secret takes
 * calls only from the plane. Without RUNNER_KEY, requests go unsigned.
 */
async function signed(env: Env, runner: RunnerAddress, method: string, url: string, body?: string): Promise<Record<string, string>> {
  const key = env.RUNNER_KEY?.trim();
  if (!key) return {};
  const secret = await deriveRunnerSecret(key, runner.id);
  return signRequest({ runnerId: runner.id, secret, method, url, ...(body === undefined ? {} : { body }), now: Date.now(), nonce: newNonce() });
}

/** Backends as a deployed commander reaches them: the STAGES binding, and runners over HTTP. */
export const runnerBackends = (env: Env, allow: RunnerAllow): Backends => ({
  worker: (stage, input, digest) => env.STAGES.run(stage, input, digest),
  async sendToRunner(runner, request) {
    const url = endpoint(runner, allow, "/v1/calls");
    const body = JSON.stringify(request);
    const response = await askRunner(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(await signed(env, runner, "POST", url, body)) },
      body,
    });
    // Read to its end (a few bytes: 202 {"accepted":true}), not cancelled: in workerd a cancel
    // cost about 0.7 ms of the shard's thread per call (908 of 1,057 ms in sendToRunner over a
    // 2,000-call fan-out), reading it 0.07 ms.
    await response.arrayBuffer();
  },
  async probeRunner(runner) {
    const url = endpoint(runner, allow, "/v1/status");
    const response = await askRunner(url, { method: "GET", headers: await signed(env, runner, "GET", url) });
    const status = (await response.json()) as Partial<NodeLoad>;
    const count = (x: unknown) => (typeof x === "number" && Number.isFinite(x) && x >= 0 ? x : 0);
    const optional = (key: "recentComputeMs" | "recentTransferMs") => (typeof status[key] === "number" ? { [key]: count(status[key]) } : {});
    return {
      queue: count(status.queue),
      inFlight: count(status.inFlight),
      bytesIn: count(status.bytesIn),
      bytesOut: count(status.bytesOut),
      ...optional("recentComputeMs"),
      ...optional("recentTransferMs"),
    };
  },
});
