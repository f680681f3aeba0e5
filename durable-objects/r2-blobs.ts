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
