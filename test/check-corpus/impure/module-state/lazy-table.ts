// expect: purity/outer-read@19 purity/outer-write@22
// A lazily built lookup table in a module-level `let`: the first run writes it (reported where
// the followed helper assigns it) and later runs read it. A table built per call is fine.
import { defineStage } from "../../../../core/index.ts";

let crcTable: Uint32Array | undefined;

function buildTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

function table(): Uint32Array {
  const cached = crcTable;
  if (cached) return cached;
  const built = buildTable();
  crcTable = built;
  return built;
}

export const crc32 = defineStage({
  name: "crc32", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (bytes) => 1 + bytes / 1_000_000, outputBytes: () => 8 },
  run: (data: Uint8Array) => {
    const t = table();
    const fresh = buildTable();
    let crc = 0xffffffff;
    for (const b of data) crc = t[(crc ^ b) & 0xff]! ^ (crc >>> 8);
    return { crc: (crc ^ 0xffffffff) >>> 0, same: fresh[1] === t[1] };
  },
});
