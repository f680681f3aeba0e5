// expect: none
// CRC-32 with a lookup table built inside run in a fresh Uint32Array (no module-level cache).
import { defineStage } from "../../../core/index.ts";

function makeTable(table: Uint32Array): Uint32Array {
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

export const crc32 = defineStage({
  name: "pure-crc32", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => 0.05 + bytes * 5e-7, outputBytes: () => 8 },
  run: (data: Uint8Array) => {
    const table = makeTable(new Uint32Array(256));
    let crc = 0xffffffff;
    for (const b of data) crc = table[(crc ^ b) & 0xff]! ^ (crc >>> 8);
    return ((crc ^ 0xffffffff) >>> 0).toString(16).padStart(8, "0");
  },
});
