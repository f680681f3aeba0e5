// expect: none
// Serialise a record header with a DataView over a locally allocated ArrayBuffer (big-endian fields), then read it back.
import { defineStage } from "../../../core/index.ts";

const MAGIC = 0x50584631; // "PXF1"

export const encodeHeader = defineStage({
  name: "pure-binary-header", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 0.01, outputBytes: () => 24 },
  run: (h: { version: number; flags: number; length: number; checksum: number }) => {
    const buf = new ArrayBuffer(20);
    const view = new DataView(buf);
    view.setUint32(0, MAGIC);
    view.setUint16(4, h.version);
    view.setUint16(6, h.flags);
    view.setFloat64(8, h.length);
    view.setUint32(16, h.checksum >>> 0, true);
    const bytes = new Uint8Array(buf);
    const check = new DataView(bytes.buffer).getUint32(0) === MAGIC;
    return { bytes: Array.from(bytes), ok: check };
  },
});
