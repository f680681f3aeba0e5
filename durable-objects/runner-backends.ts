import type { NodeLoad } from "../core/jobs/decisions.ts";
import type { Backends } from "../runtime/jobs/backends.ts";
import { PaxflowError } from "../runtime/errors.ts";
import type { Env } from "./env.ts";

/** How long a runner has to accept a call or answer a status probe. */
const RUNNER_ANSWER_MS = 5_000;

/** `{url}/v1/...`: a runner may live under a path prefix. */
const endpoint = (base: string, path: string) => `${base.replace(/\/+$/, "")}${path}`;

async function askRunner(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(RUNNER_ANSWER_MS) });
  } catch (error) {
    throw new PaxflowError("runner-unreachable", `${init.method ?? "GET"} ${url} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok) {
    const body = await response.text().catch(() => "");
    throw new PaxflowError("runner-refused", `${init.method ?? "GET"} ${url} answered ${response.status}: ${body.slice(0, 300)}`);
  }
  return response;
}

/** Backends as a deployed commander reaches them: the STAGES binding, and runners over HTTP. */
export const runnerBackends = (env: Env): Backends => ({
  worker: (stage, input) => env.STAGES.run(stage, input),
  async sendToRunner(url, request) {
    const response = await askRunner(endpoint(url, "/v1/calls"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    await response.body?.cancel();
  },
  async probeRunner(url) {
    const response = await askRunner(endpoint(url, "/v1/status"), { method: "GET" });
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
