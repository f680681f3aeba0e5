import type { BlobStore } from "../runtime/jobs/payload-store.ts";

/** Payload blobs in an R2 bucket. Content-addressed keys never change, so a put may skip existing ones. */
export const r2Blobs = (bucket: R2Bucket): BlobStore => ({
  async get(key) {
    const object = await bucket.get(key);
    return object ? new Uint8Array(await object.arrayBuffer()) : null;
  },
  async put(key, bytes) {
    if (await bucket.head(key)) return;
    await bucket.put(key, bytes);
  },
});
