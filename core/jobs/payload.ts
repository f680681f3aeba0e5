/**
 * How values sit in the log. Small ones travel inside the log entry (base64 of their CBOR
 * bytes, since entries are JSON); large ones live in R2 under the SHA-256 of those bytes and
 * the entry holds only the hash, so a slot stays small whatever stages return.
 */
export type Payload =
  | { readonly inline: string; readonly bytes: number }
  | { readonly r2: string; readonly bytes: number };

/** Inline payloads at most this many encoded bytes by default (INLINE_PAYLOAD_BYTES). */
export const DEFAULT_INLINE_PAYLOAD_BYTES = 16 * 1024;

export const isInline = (p: Payload): p is Extract<Payload, { inline: string }> => "inline" in p;

/** R2 object key of a large payload. */
export const payloadKey = (sha256: string): string => `payloads/${sha256}`;

// btoa/atob exist in Node >= 16 and in workerd; chunked so large arrays do not overflow the stack.
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export const inlinePayload = (bytes: Uint8Array): Payload => ({ inline: toBase64(bytes), bytes: bytes.length });
