/**
 * What the GPU tests share: the real WebGPU device (no stand-in: a machine without an adapter
 * fails these tests, with the message naming what to install), the stages under test, and a
 * stand-in for the command plane's runner endpoints.
 */
import { type IncomingMessage, type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { vi } from "vitest";
import { type Value, createRegistry, decode } from "../../core/index.ts";
import type { NodeLoad } from "../../core/jobs/decisions.ts";
import { fromBase64 } from "../../core/jobs/payload.ts";
import type { RegisterRequest, ResultReport } from "../../core/jobs/protocol.ts";
import type { Stage } from "../../core/sdk/stage.ts";
import { registry as examples } from "../../examples/index.ts";
import { BACKENDS, type BackendChoice, Gpu } from "../../gpu-runners/device.ts";
import * as kernels from "../../kernels/index.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export const until = (check: () => void, timeout = 30_000) => vi.waitFor(check, { timeout, interval: 10 });

/** Every bundled stage: the examples' registry (what the plane deploys) and the kernels library. */
export const STAGES: ReadonlyMap<string, Stage<Value, Value>> = new Map([...examples.stages, ...createRegistry(kernels).stages]);

/** PAXFLOW_GPU_BACKEND picks a backend (default auto: what the gpu-runner would pick). */
export function testBackend(): BackendChoice {
  const raw = process.env.PAXFLOW_GPU_BACKEND ?? "auto";
  if (!(BACKENDS as readonly string[]).includes(raw)) throw new Error(`PAXFLOW_GPU_BACKEND must be one of ${BACKENDS.join(", ")}, got "${raw}"`);
  return raw as BackendChoice;
}

/** Opens the device the runner would use; throws (failing the file) when there is none. */
export async function openGpu(logs: string[] = []): Promise<Gpu> {
  return Gpu.open({ backend: testBackend(), log: (line) => logs.push(line) });
}

export const valueOf = (report: ResultReport): Value => {
  if (!report.outcome.ok) throw new Error(`expected a value, got ${report.outcome.error.name}: ${report.outcome.error.message}`);
  return decode(fromBase64(report.outcome.value));
};

/** A stand-in for the command plane: records what runners send. */
export class FakePlane {
  readonly registrations: RegisterRequest[] = [];
  readonly heartbeats: NodeLoad[] = [];
  readonly results: ResultReport[] = [];
  url = "";
  private readonly server: Server = createServer((req, res) => {
    void this.answer(req).then(([status, body]) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
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
    const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString()) as unknown) : undefined;
    const route = `${req.method} ${req.url}`;
    if (route === "POST /v1/nodes") {
      this.registrations.push(body as RegisterRequest);
      return [201, { spec: { ...(body as object), kind: "runner" }, status: "up" }];
    }
    if (/^POST \/v1\/nodes\/[^/]+\/heartbeat$/.test(route)) {
      this.heartbeats.push(body as NodeLoad);
      return [200, { status: "up", heartbeatMs: 50 }];
    }
    if (/^POST \/v1\/nodes\/[^/]+\/results$/.test(route)) {
      this.results.push(body as ResultReport);
      return [202, { accepted: true }];
    }
    return [404, { error: { code: "not_found", message: `test plane has no ${route}` } }];
  }
}
