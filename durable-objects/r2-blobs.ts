import { PaxflowError, errorMessage } from "../runtime/errors.ts";
import type { BlobStore } from "../runtime/jobs/payload-store.ts";

/** Payload blobs in an R2 bucket. Content-addressed keys never change, so a put may skip existing ones. */
export const r2Blobs = (bucket: R2Bucket): BlobStore => ({
  async get(key) {
    const object = await bucket.get(key);
    return object ? new Uint8Array(await object.arrayBuffer()) : null;
  },
  async put(key, bytes) {
    if (await bucket.head(key)) return;
    // A large value (a commander's or the stage Worker's seal) goes in pieces too, for the same reason as an upload (inPieces).
    if (bytes.length <= STORE_CHUNK_BYTES) await bucket.put(key, bytes);
    else await putSized(bucket, key, piecesOf(bytes, STORE_CHUNK_BYTES), bytes.length);
  },
  async putStream(key, body, length, sha256) {
    const existing = await bucket.head(key);
    if (existing) {
      await body.cancel();
      if (existing.size !== length) throw new PaxflowError("digest-mismatch", `${key} holds ${existing.size} bytes; the body declares ${length}`);
      return false;
    }
    // R2 checks the SHA-256 as the bytes go by (in a deployment on its side, not on the
    // Worker's CPU): nothing is stored under a name its bytes do not have.
    try {
      await putSized(bucket, key, inPieces(body, STORE_CHUNK_BYTES), length, { sha256 });
    } catch (error) {
      throw new PaxflowError("digest-mismatch", `the body is not the ${length} bytes that hash to ${sha256}, so nothing was stored (${errorMessage(error)})`);
    }
    return true;
  },
  async getStream(key) {
    const object = await bucket.get(key);
    return object ? { body: object.body, size: object.size } : null;
  },
  async has(key) {
    return (await bucket.head(key)) !== null;
  },
  async delete(key) {
    // R2 answers a delete of an absent key as success.
    await bucket.delete(key);
  },
  async list(prefix, limit) {
    // R2 lists in key order (UTF-8), at most 1,000 a page.
    const page = await bucket.list({ prefix, limit: Math.max(1, Math.min(1_000, limit)) });
    return page.objects.map((o) => o.key).slice(0, Math.max(0, limit));
  },
});

/**
 * Streams `pieces` (`length` bytes in all) to R2 under `key`. Through a fixed-length stream: R2
 * needs the length up front, and a body that ends early fails the put instead of storing what
 * arrived.
 */
async function putSized(bucket: R2Bucket, key: string, pieces: ReadableStream<Uint8Array>, length: number, options?: R2PutOptions): Promise<void> {
  const sized = new FixedLengthStream(length);
  const piped = pieces.pipeTo(sized.writable).catch((error: unknown) => error);
  try {
    await bucket.put(key, sized.readable, options);
  } finally {
    await piped;
  }
}

/** `bytes` in views of `size` bytes (no copy), the thread let go between them as inPieces does. */
function piecesOf(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (at > 0) await scheduler.wait(0);
      controller.enqueue(bytes.subarray(at, at + size));
      at += size;
      if (at >= bytes.length) controller.close();
    },
  });
}

/**
 * What R2 is handed at a time. An HTTP body arrives in 4 KiB reads (12,208 for 50 MB); in 1 MiB
 * pieces the Worker runs JavaScript 50 times per 50 MB rather than 12,208, and memory stays
 * bounded: one piece is held, never the payload.
 */
const STORE_CHUNK_BYTES = 1 << 20;

/**
 * The body in pieces of `size` bytes (the last one shorter), each filled natively by one BYOB
 * read (readAtLeast): no JavaScript runs per network read. Between pieces the thread is let go:
 * local R2 (miniflare) takes what it is handed 4 KiB at a time, running JavaScript for each on
 * the thread every isolate of local workerd shares, and handed a body as fast as it arrived it
 * held that thread for the whole put (a 50 MB put: GET requests in between waited 0.6 to 0.8 s,
 * the put's own time). One turn of the event loop per piece lets them in (at most 40 ms), and
 * the put takes as long as before. A stream made in JavaScript has no BYOB reads; it goes as its
 * own chunks come.
 */
function inPieces(body: ReadableStream<Uint8Array>, size: number): ReadableStream<Uint8Array> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = body.getReader({ mode: "byob" });
  } catch {
    return body;
  }
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await reader.readAtLeast(size, new Uint8Array(size));
      if (value !== undefined && value.byteLength > 0) controller.enqueue(value);
      if (done || value === undefined || value.byteLength < size) controller.close();
      else await scheduler.wait(0);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
