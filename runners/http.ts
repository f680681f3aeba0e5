/** The little of HTTP serving a runner needs, on node:http. */
import type { IncomingMessage, ServerResponse } from "node:http";

/** The error shape the plane's API uses too: { error: { code, message, field? } }. */
export const errorBody = (code: string, message: string, field?: string) => ({ error: field === undefined ? { code, message } : { code, message, field } });

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * The request body, or null once it passes `limit` bytes. The rest is read and dropped rather
 * than left unread: destroying the request would take the socket, and the 413, with it.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    req.on("data", (chunk: Buffer) => {
      length += chunk.byteLength;
      if (length <= limit) chunks.push(chunk);
    });
    req.on("end", () => resolve(length <= limit ? Buffer.concat(chunks) : null));
    req.on("error", reject);
  });
}
