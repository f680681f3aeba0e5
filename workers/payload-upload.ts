/**
 * A large value's bytes on their way to R2, streamed: the Worker never holds, decodes or copies
 * them. R2 checks them against the SHA-256 that names them, so a truncated or altered upload is
 * refused and nothing is stored under a name its bytes do not have (payloads stay
 * content-addressed: core/jobs/payload.ts).
 */
import { payloadKey } from "../core/jobs/payload.ts";
import { ApiError } from "./http.ts";

export interface Stored {
  readonly bytes: number;
  /** false: the object was there already (the same name, so the same bytes). */
  readonly created: boolean;
}

/** Streams `body` (`length` bytes, as its Content-Length declared) to R2 under `sha256`. */
export async function storeStream(bucket: R2Bucket, sha256: string, body: ReadableStream<Uint8Array> | null, length: number): Promise<Stored> {
  const key = payloadKey(sha256);
  const existing = await bucket.head(key);
  if (existing) {
    await body?.cancel();
    if (existing.size !== length) throw new ApiError(400, "digest_mismatch", `payload ${sha256} is ${existing.size} bytes; the body declares ${length}`);
    return { bytes: existing.size, created: false };
  }
  // A fixed-length stream: R2 needs the length up front, and a body that ends early or runs long
  // fails the put instead of storing what arrived.
  const sized = new FixedLengthStream(length);
  const piped = (body === null ? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() }) : inPieces(body, STORE_CHUNK_BYTES)).pipeTo(sized.writable).catch((error: unknown) => error);
  try {
    await bucket.put(key, sized.readable, { sha256 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ApiError(400, "digest_mismatch", `the body is not the ${length} bytes that hash to ${sha256}, so nothing was stored (${reason})`);
  } finally {
    await piped;
  }
  return { bytes: length, created: true };
}

/**
 * What R2 is handed at a time. An HTTP body arrives in 4 KiB reads (12,208 for 50 MB), and R2
 * takes each as a write; local R2 (miniflare) runs JavaScript per write on the thread all of
 * workerd's isolates share, which held the API for seconds per upload (GET /v1/cluster p50
 * 1.4 s during a 50 MB PUT, the PUT itself 3 to 12 s). In 1 MiB pieces it is 50 writes (PUT
 * 1.5 to 2 s, polls p50 0.5 to 0.8 s on the same loaded machine), and memory stays bounded: one
 * piece is held, never the payload.
 */
const STORE_CHUNK_BYTES = 1 << 20;

/**
 * The body in pieces of `size` bytes (the last one shorter), each filled natively by one BYOB
 * read (readAtLeast): no JavaScript runs per network read.
 */
function inPieces(body: ReadableStream<Uint8Array>, size: number): ReadableStream<Uint8Array> {
  const reader = body.getReader({ mode: "byob" });
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await reader.readAtLeast(size, new Uint8Array(size));
      if (value !== undefined && value.byteLength > 0) controller.enqueue(value);
      if (done || value === undefined || value.byteLength < size) controller.close();
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
