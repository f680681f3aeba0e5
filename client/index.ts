/**
 * A typed client for the paxflow HTTP API. Its types are the zod schemas that validate the
 * API's requests and shape its answers (workers/schemas.ts, also the source of
 * /v1/openapi.json), so a change to the API that the client does not follow fails to compile.
 * Used by the CLI (`npx paxflow submit|status|jobs|nodes|cluster|explain|cancel`) and its tests.
 *
 *   const client = new PaxflowClient({ url: "http://127.0.0.1:8787", token: process.env.PAXFLOW_TOKEN });
 *   const { id } = await client.submit("word-count", { text: "to be or not", chunkChars: 8 });
 *   const job = await client.job(id, { waitS: 10 });
 */
import type { z } from "@hono/zod-openapi";
import type { ClusterView as ClusterSchema, ExplainJson, JobAccepted, JobJson, JobList, JobStatus, NodeList } from "../workers/schemas.ts";

export type Job = z.infer<typeof JobJson>;
export type JobAcceptedReply = z.infer<typeof JobAccepted>;
export type JobPage = z.infer<typeof JobList>;
export type Explanation = z.infer<typeof ExplainJson>;
export type Nodes = z.infer<typeof NodeList>;
export type Status = z.infer<typeof JobStatus>;

/** GET /v1/cluster: the verification policy, and each shard's leader, commanders, acceptors, indexes and what its scheduler learned. */
export interface ClusterView {
  readonly verification: z.infer<typeof ClusterSchema>["verification"];
  readonly shards: readonly {
    readonly shard: number;
    readonly leader: { readonly commander: string; readonly ballot: string } | null;
    readonly chosenIndex: number;
    readonly appliedIndex: number;
    readonly commanders: readonly { readonly name: string; readonly role: string; readonly ballot?: string; readonly learnedThrough?: number; readonly appliedThrough?: number; readonly error?: string }[];
    readonly acceptors: readonly { readonly name: string; readonly health: string; readonly latencyMs: number | null; readonly chosenThrough: number | null; readonly fault: unknown }[];
    readonly [more: string]: unknown;
  }[];
}

/** An answer other than 2xx: the API's JSON error (code, message, retryable) and the HTTP status. */
export class PaxflowApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Whether the same request may succeed later (after retryAfterS, when given); false when the request must change. */
    readonly retryable: boolean,
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = "PaxflowApiError";
  }
}

/** The API could not be reached at all. */
export class PaxflowUnreachable extends Error {
  constructor(readonly url: string, cause: unknown) {
    super(`no paxflow API answers at ${url} (${cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause)})`);
    this.name = "PaxflowUnreachable";
  }
}

export interface ClientOptions {
  /** The API's base URL, e.g. https://paxflow.example.workers.dev. */
  readonly url: string;
  /** A client token (API_TOKENS); sent as `Authorization: Bearer`. */
  readonly token?: string;
  /** The fetch to use (default: the global one); e.g. a Worker's service binding. */
  readonly fetch?: typeof fetch;
}

export class PaxflowClient {
  private readonly base: string;
  private readonly token: string | undefined;
  private readonly fetcher: typeof fetch;

  constructor(options: ClientOptions) {
    this.base = options.url.replace(/\/+$/, "");
    this.token = options.token;
    this.fetcher = options.fetch ?? fetch;
  }

  /** POST /v1/jobs. With `waitS`, the whole job when it finishes within that many seconds. */
  submit(job: string, input: unknown, options: { idempotencyKey?: string; waitS?: number } = {}): Promise<JobAcceptedReply | Job> {
    const body = { job, input, ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }) };
    return this.call("POST", "/v1/jobs", { body, ...(options.waitS === undefined ? {} : { prefer: `wait=${options.waitS}` }) });
  }

  /** GET /v1/jobs/:id; with `waitS`, held until the job finishes or that many seconds pass. */
  job(id: string, options: { waitS?: number } = {}): Promise<Job> {
    return this.call("GET", `/v1/jobs/${encodeURIComponent(id)}`, options.waitS === undefined ? {} : { prefer: `wait=${options.waitS}` });
  }

  /** GET /v1/jobs: newest first; `cursor` is the previous page's `next`. */
  jobs(query: { status?: Status; limit?: number; cursor?: string } = {}): Promise<JobPage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const qs = params.toString();
    return this.call("GET", `/v1/jobs${qs ? `?${qs}` : ""}`);
  }

  /** GET /v1/jobs/:id/explain: every placement decision with its candidates. */
  explain(id: string): Promise<Explanation> {
    return this.call("GET", `/v1/jobs/${encodeURIComponent(id)}/explain`);
  }

  /** DELETE /v1/jobs/:id: the job after cancelling (a finished one unchanged). */
  cancel(id: string): Promise<Job> {
    return this.call("DELETE", `/v1/jobs/${encodeURIComponent(id)}`);
  }

  nodes(): Promise<Nodes> {
    return this.call("GET", "/v1/nodes");
  }

  cluster(): Promise<ClusterView> {
    return this.call("GET", "/v1/cluster");
  }

  private async call<T>(method: string, path: string, options: { body?: unknown; prefer?: string } = {}): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.prefer) headers.prefer = options.prefer;
    let response: Response;
    try {
      response = await this.fetcher(`${this.base}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
    } catch (error) {
      throw new PaxflowUnreachable(this.base, error);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string; retryable?: boolean } } | undefined)?.error;
      const retry = Number(response.headers.get("retry-after"));
      // Something other than the API (a proxy) may answer without the field: 429 and 5xx other than 500 are worth a retry.
      const retryable = error?.retryable ?? (response.status === 429 || (response.status > 500 && response.status < 600));
      throw new PaxflowApiError(
        response.status,
        error?.code ?? `http_${response.status}`,
        error?.message ?? (text.slice(0, 300) || response.statusText),
        retryable,
        Number.isFinite(retry) && retry > 0 ? retry : undefined,
      );
    }
    if (typeof json !== "object" || json === null) {
      const what = `${method} ${path} answered ${response.status} with something other than JSON (is ${this.base} a paxflow API?): ${text.slice(0, 120)}`;
      throw new PaxflowApiError(response.status, "bad_response", what, false);
    }
    return json as T;
  }
}
