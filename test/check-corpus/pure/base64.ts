// expect: none
// A base64 encoder written by hand over the UTF-8 bytes of a string (TextEncoder), with a module alphabet constant.
import { defineStage } from "../../../core/index.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export const base64 = defineStage({
  name: "pure-base64", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 2e-6, outputBytes: (bytes) => Math.ceil(bytes / 3) * 4 },
  run: (text: string) => {
    const bytes = new TextEncoder().encode(text);
    let out = "";
    for (let i = 0; i < bytes.length; i += 3) {
      const b0 = bytes[i]!;
      const b1 = bytes[i + 1];
      const b2 = bytes[i + 2];
      const n = (b0 << 16) | ((b1 ?? 0) << 8) | (b2 ?? 0);
      out += ALPHABET.charAt((n >> 18) & 63) + ALPHABET.charAt((n >> 12) & 63);
      out += b1 === undefined ? "=" : ALPHABET.charAt((n >> 6) & 63);
      out += b2 === undefined ? "=" : ALPHABET.charAt(n & 63);
    }
    return out;
  },
});
