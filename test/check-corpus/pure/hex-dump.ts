// expect: none
// A hex dump: string building with toString(16), padStart, String.fromCharCode, trimEnd.
import { defineStage } from "../../../core/index.ts";

export const hexDump = defineStage({
  name: "pure-hex-dump", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 1e-5, outputBytes: (bytes) => bytes * 4 + 80 },
  run: (bytes: Uint8Array) => {
    let out = "";
    for (let off = 0; off < bytes.length; off += 16) {
      const row = bytes.subarray(off, off + 16);
      let hex = "";
      let ascii = "";
      for (const b of row) {
        hex += b.toString(16).padStart(2, "0") + " ";
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
      }
      out += `${off.toString(16).padStart(8, "0")}  ${hex.padEnd(48)} |${ascii}|\n`;
    }
    return out.trimEnd();
  },
});
