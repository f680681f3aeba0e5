/**
 * Request bodies, read only after the route's guard has authenticated the caller (workers/access.ts):
 * at most the route's byte limit (413 from Content-Length before a byte is read, else as soon as
 * the stream passes it), and, for JSON, at most MAX_JSON_DEPTH levels deep (400) before anything
 * parses it, so a body cannot overflow a parser's or the log codec's stack.
 */
import type { Context } from "hono";
import { integer } from "../durable-objects/shard-config.ts";
import { COMMANDER_DEFAULTS } from "../runtime/commander-driver.ts";
import { DEFAULT_MAX_JOB_INPUT_BYTES, DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_MAX_RESULT_BYTES } from "./defaults.ts";
import { type App, ApiError } from "./http.ts";

/** The settings that bound a route's body, with their defaults. */
const BYTE_LIMITS = {
  MAX_JOB_INPUT_BYTES: DEFAULT_MAX_JOB_INPUT_BYTES,
  MAX_RESULT_BYTES: DEFAULT_MAX_RESULT_BYTES,
  MAX_COMMAND_BYTES: COMMANDER_DEFAULTS.maxCommandBytes,
  MAX_PAYLOAD_BYTES: DEFAULT_MAX_PAYLOAD_BYTES,
} as const;

export type ByteLimit = keyof typeof BYTE_LIMITS;

/** Deepest nesting of arrays and objects a JSON body may have: far beyond any real input, far below a stack's reach. */
export const MAX_JSON_DEPTH = 64;

/** The limit's value in this deployment. */
const byteLimit = (c: Context<App>, limit: ByteLimit): number => integer(limit, c.env[limit], 1, BYTE_LIMITS[limit]);

/**
 * The length a streamed body declares, checked before a byte of it is read: 411 without a
 * Content-Length (the stream is not buffered, so its size must be known up front), 413 above
 * `limit`. The route passes the body on; what it streams to checks that it is that long.
 */
export function declaredLength(c: Context<App>, limit: ByteLimit): number {
  const raw = c.req.raw.headers.get("content-length");
  if (raw === null || !/^\d{1,16}$/.test(raw)) {
    throw new ApiError(411, "length_required", "send the body's length in Content-Length: a streamed body is checked against its limit before it is read");
  }
  const max = byteLimit(c, limit);
  if (Number(raw) > max) throw new ApiError(413, "payload_too_large", `request body of ${raw} bytes exceeds the limit of ${max} bytes (${limit})`);
  return Number(raw);
}

/** Whether the request carries a body at all (a declared length of zero is none). */
export function hasBody(request: Request): boolean {
  if (request.body === null) return false;
  const length = request.headers.get("content-length");
  return length === null || Number(length) !== 0;
}

/**
 * The body's bytes, at most `limit`; the request is rebuilt around them so the route's
 * validators read them again. A JSON body deeper than MAX_JSON_DEPTH is refused here.
 */
export async function readBody(c: Context<App>, limit: ByteLimit): Promise<Uint8Array> {
  const raw = c.req.raw;
  if (raw.body === null) return new Uint8Array(0);
  const max = byteLimit(c, limit);
  const tooLarge = () => new ApiError(413, "payload_too_large", `request body exceeds the limit of ${max} bytes (${limit})`);
  if (Number(raw.headers.get("content-length") ?? 0) > max) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = raw.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) (body.set(chunk, at), (at += chunk.byteLength));
  if (jsonDepthExceeds(body, MAX_JSON_DEPTH)) {
    throw new ApiError(400, "too_deep", `request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep (the limit)`);
  }
  c.req.raw = new Request(raw, { body });
  return body;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x5b, 0x7b]); // [ {
const CLOSE = new Set([0x5d, 0x7d]); // ] }

/**
 * Whether JSON text nests deeper than `max`, by scanning bytes (brackets outside strings), so
 * it needs no parse and no recursion. Text that is not JSON is left to the parser to refuse.
 */
export function jsonDepthExceeds(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (OPEN.has(b)) {
      if (++depth > max) return true;
    } else if (CLOSE.has(b)) depth--;
  }
  return false;
}
