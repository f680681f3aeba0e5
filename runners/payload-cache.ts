/**
 * Encoded values by the SHA-256 of their bytes, the key R2 payloads go by. Calls of one job
 * often take what the previous call returned, so keeping recent values (fetched or produced
 * here) saves fetching them back from the plane.
 */
import { createHash } from "node:crypto";

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** Least recently used first out, once the bytes held pass the budget. */
export class PayloadCache {
  // A Map iterates in insertion order; re-inserting on every hit keeps the oldest first.
  private readonly entries = new Map<string, Uint8Array>();
  private held = 0;

  constructor(private readonly maxBytes: number) {}

  get(hash: string): Uint8Array | undefined {
    const bytes = this.entries.get(hash);
    if (bytes) {
      this.entries.delete(hash);
      this.entries.set(hash, bytes);
    }
    return bytes;
  }

  put(hash: string, bytes: Uint8Array): void {
    if (bytes.byteLength > this.maxBytes) return;
    const existing = this.entries.get(hash);
    if (existing) {
      this.entries.delete(hash);
      this.held -= existing.byteLength;
    }
    this.entries.set(hash, bytes);
    this.held += bytes.byteLength;
    for (const [oldest, old] of this.entries) {
      if (this.held <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.held -= old.byteLength;
    }
  }
}
