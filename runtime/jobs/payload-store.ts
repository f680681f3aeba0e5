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
