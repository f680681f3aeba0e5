/**
 * Where payloads that are too large for a log entry live: R2 in a deployment (local R2 under
 * miniflare), a Map in Node tests. Content-addressed by SHA-256, so writing the same value
 * twice is one object, and a hash in the log always names exactly the bytes it was made from.
 */
import { type Value, decode } from "../../core/codec.ts";
import type { Sealable } from "../../core/jobs/advance.ts";
import { type Payload, fromBase64, inlinePayload, isInline } from "../../core/jobs/payload.ts";
import { PaxflowError } from "../errors.ts";

export interface BlobStore {
  get(key: string): Promise<Uint8Array | null>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  /**
   * Stores `length` bytes from `body` under `key` as they arrive, never holding them all, only if
   * they hash to `sha256` (else throws digest-mismatch and stores nothing). False: the key holds
   * them already (content-addressed: the same bytes), and `body` is cancelled unread.
   */
  putStream(key: string, body: ReadableStream<Uint8Array>, length: number, sha256: string): Promise<boolean>;
  /** The object's bytes as they are read, and how many; null when it is not there. */
  getStream(key: string): Promise<{ readonly body: ReadableStream<Uint8Array>; readonly size: number } | null>;
  /** Whether an object is there, without reading it. */
  has(key: string): Promise<boolean>;
  /** Removes the object; removing one that is not there is no error (payload-holds.ts deletes from every commander). */
  delete(key: string): Promise<void>;
  /** Keys under `prefix`, in key order, at most `limit` (one page: callers ask for few). */
  list(prefix: string, limit: number): Promise<string[]>;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}

export const isPayload = (x: unknown): x is Payload =>
  typeof x === "object" && x !== null && typeof (x as { bytes?: unknown }).bytes === "number" && ("inline" in x || "r2" in x);

/** Seals values into Payloads and opens Payloads into values, with a cache of what it opened. */
export class Payloads {
  /** Payload objects in the state are long-lived and never change: cache their values by identity. */
  private readonly opened = new WeakMap<Payload, Value>();

  constructor(
    private readonly blobs: BlobStore,
    /** Payloads of at most this many bytes are inline (INLINE_PAYLOAD_BYTES). */
    readonly inlineLimit: number,
    private readonly keyOf: (sha256: string) => string,
  ) {}

  async seal(value: Sealable | Payload): Promise<Payload> {
    if (isPayload(value)) return value;
    // A Stored reference names bytes already in the store (core/sdk/stored.ts): sealed as they are.
    if ("stored" in value) return { r2: value.stored.r2, bytes: value.stored.bytes };
    const { bytes } = value;
    if (bytes.length <= this.inlineLimit) return inlinePayload(bytes);
    const hash = await sha256Hex(bytes);
    await this.blobs.put(this.keyOf(hash), bytes);
    return { r2: hash, bytes: bytes.length };
  }

  async bytes(payload: Payload): Promise<Uint8Array> {
    if (isInline(payload)) return fromBase64(payload.inline);
    const bytes = await this.blobs.get(this.keyOf(payload.r2));
    if (!bytes) throw new PaxflowError("payload-missing", `payload ${payload.r2} (${payload.bytes} bytes) is not in the payload store`);
    return bytes;
  }

  async open(payload: Payload): Promise<Value> {
    const known = this.opened.get(payload);
    if (known !== undefined) return known;
    const value = decode(await this.bytes(payload));
    this.opened.set(payload, value);
    return value;
  }
}

export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, Uint8Array>();
  async get(key: string) {
    return this.objects.get(key) ?? null;
  }
  async put(key: string, bytes: Uint8Array) {
    this.objects.set(key, bytes);
  }
  /** Collects the body (memory holds whole objects anyway) and checks it as R2 would. */
  async putStream(key: string, body: ReadableStream<Uint8Array>, length: number, sha256: string) {
    const existing = this.objects.get(key);
    if (existing) {
      await body.cancel();
      if (existing.length !== length) throw new PaxflowError("digest-mismatch", `${key} holds ${existing.length} bytes; the body declares ${length}`);
      return false;
    }
    const bytes = new Uint8Array(length);
    let at = 0;
    for await (const chunk of body) {
      if (at + chunk.length > length) throw new PaxflowError("digest-mismatch", `the body runs past the ${length} bytes it declares, so nothing was stored`);
      bytes.set(chunk, at);
      at += chunk.length;
    }
    if (at !== length || (await sha256Hex(bytes)) !== sha256) {
      throw new PaxflowError("digest-mismatch", `the body is not the ${length} bytes that hash to ${sha256}, so nothing was stored`);
    }
    this.objects.set(key, bytes);
    return true;
  }
  async getStream(key: string) {
    const bytes = this.objects.get(key);
    return bytes ? { body: new Blob([bytes]).stream(), size: bytes.length } : null;
  }
  async has(key: string) {
    return this.objects.has(key);
  }
  async delete(key: string) {
    this.objects.delete(key);
  }
  async list(prefix: string, limit: number) {
    return [...this.objects.keys()]
      .filter((key) => key.startsWith(prefix))
      .sort()
      .slice(0, Math.max(0, limit));
  }
}
