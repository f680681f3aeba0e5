/**
 * A slow link: an HTTP proxy that holds each request for `delayMs` before passing it on, in
 * front of a runner (the plane's calls and probes reach it through the proxy) or in front of
 * the API (the runner's heartbeats and results). The chaos suite changes the delay while jobs
 * run. A target that does not answer (a runner killed, workerd restarting) gets a 502.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export class SlowLink {
  /** Added to every request passing through, in ms. */
  delayMs = 0;
  private readonly server: Server;
  private readonly target: URL;
  url = "";

  constructor(target: string) {
    this.target = new URL(target);
    this.server = createServer((req, res) => void this.forward(req, res));
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    } catch {
      return void res.destroy();
    }
    if (this.delayMs > 0) await sleep(this.delayMs);
    const headers = { ...req.headers, host: this.target.host };
    const upstream = request(
      { host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "bad_gateway", message: `slow link: ${error.message}` } }));
    });
    upstream.end(Buffer.concat(chunks));
  }
}
