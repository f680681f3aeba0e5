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
  const piped = (body ?? new ReadableStream({ start: (controller) => controller.close() })).pipeTo(sized.writable).catch((error: unknown) => error);
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
