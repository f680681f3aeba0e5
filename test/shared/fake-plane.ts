/**
 * A stand-in for the command plane as a runner sees it (the runner protocol's routes): records
 * what runners send and answers as each test asks. Used by the CPU runner's and the gpu-runner's tests.
 */
import { type IncomingMessage, type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { NodeLoad } from "../../core/jobs/decisions.ts";
import { type Value, decode } from "../../core/codec.ts";
import { fromBase64 } from "../../core/jobs/payload.ts";
import type { RegisterRequest, ResultBatch, ResultReport } from "../../core/jobs/protocol.ts";

export class FakePlane {
  readonly registrations: RegisterRequest[] = [];
  readonly heartbeats: NodeLoad[] = [];
  readonly results: ResultReport[] = [];
  readonly payloadGets: string[] = [];
  /** Hashes runners uploaded with PUT /v1/payloads/:sha256 (their bytes go to `payloads`). */
  readonly payloadPuts: string[] = [];
  readonly payloads = new Map<string, Uint8Array>();
  /** Statuses to answer, in order, before the normal answer. */
  registerAnswers: number[] = [];
  heartbeatAnswers: number[] = [];
  resultAnswers: number[] = [];
  /** Requests that reported results (single or batched), and how many each batch held. */
  resultPosts = 0;
  readonly batches: number[] = [];
  heartbeatReply = { status: "up", heartbeatMs: 3_600_000 };
  /** Payload answers wait for this. */
  payloadsReady: Promise<void> = Promise.resolve();
  url = "";
  private readonly server: Server = createServer((req, res) => {
    void this.answer(req).then(([status, body]) => {
      res.writeHead(status, { "content-type": body instanceof Uint8Array ? "application/cbor" : "application/json" });
      res.end(body instanceof Uint8Array ? body : JSON.stringify(body));
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async answer(req: IncomingMessage): Promise<[number, unknown]> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const route = `${req.method} ${req.url}`;
    const upload = /^PUT \/v1\/payloads\/([0-9a-f]+)$/.exec(route);
    if (upload) {
      const bytes = new Uint8Array(Buffer.concat(chunks));
      this.payloadPuts.push(upload[1]!);
      this.payloads.set(upload[1]!, bytes);
      return [201, { r2: upload[1]!, bytes: bytes.byteLength }];
    }
    const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString()) as unknown) : undefined;
    const refusal = (status: number): [number, unknown] => [status, { error: { code: `status-${status}`, message: `test plane answers ${status}` } }];
    if (route === "POST /v1/nodes") {
      const status = this.registerAnswers.shift();
      if (status) return refusal(status);
      this.registrations.push(body as RegisterRequest);
      return [201, { spec: { ...(body as object), kind: "runner" }, status: "up" }];
    }
    if (/^POST \/v1\/nodes\/[^/]+\/heartbeat$/.test(route)) {
      const status = this.heartbeatAnswers.shift();
      if (status) return refusal(status);
      this.heartbeats.push(body as NodeLoad);
      return [200, this.heartbeatReply];
    }
    if (/^POST \/v1\/nodes\/[^/]+\/results$/.test(route)) {
      this.resultPosts++;
      const status = this.resultAnswers.shift();
      if (status) return refusal(status);
      this.results.push(body as ResultReport);
      return [202, { accepted: true }];
    }
    if (/^POST \/v1\/nodes\/[^/]+\/results\/batch$/.test(route)) {
      this.resultPosts++;
      const status = this.resultAnswers.shift();
      if (status) return refusal(status);
      const { results } = body as ResultBatch;
      this.batches.push(results.length);
      this.results.push(...results);
      return [202, { results: results.map(() => ({ accepted: true })) }];
    }
    const payload = /^GET \/v1\/payloads\/([0-9a-f]+)$/.exec(route);
    if (payload) {
      this.payloadGets.push(payload[1]!);
      await this.payloadsReady;
      const bytes = this.payloads.get(payload[1]!);
      return bytes ? [200, bytes] : refusal(404);
    }
    return refusal(404);
  }

  /** A reported output's value: decoded from the report, or from what the runner uploaded. */
  valueOf(report: ResultReport): Value {
    if (!report.outcome.ok) throw new Error(`expected a value, got ${report.outcome.error.name}: ${report.outcome.error.message}`);
    const { value } = report.outcome;
    if (typeof value === "string") return decode(fromBase64(value));
    const bytes = this.payloads.get(value.r2);
    if (!bytes) throw new Error(`the report names payload ${value.r2}, which was never uploaded`);
    return decode(bytes);
  }
}
