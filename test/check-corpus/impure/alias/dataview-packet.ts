// expect: purity/outer-write@12 purity/outer-write@14
// Rewriting a packet's sequence number through a DataView or a Uint8Array over `packet.buffer`
// writes the input's memory. Copying into a new buffer first is fine.
import { defineStage } from "../../../../core/index.ts";

export const resequence = defineStage({
  name: "resequence", version: 3, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: (bytes) => bytes },
  run: (input: { packet: Uint8Array; seq: number }) => {
    const { packet, seq } = input;
    const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
    view.setUint16(2, seq);
    const raw = new Uint8Array(packet.buffer);
    raw[packet.byteOffset] ^= 0x80;
    const copy = new Uint8Array(packet);
    const own = new DataView(copy.buffer);
    own.setUint16(2, seq);
    const scratch = new DataView(new ArrayBuffer(4));
    scratch.setUint32(0, seq);
    return { copy, checksum: scratch.getUint8(3) ^ view.getUint8(2) };
  },
});
