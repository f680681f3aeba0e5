// expect: none
// Build a 44-byte WAV header with a DataView over a fresh ArrayBuffer (little-endian), writing ASCII tags byte by byte.
import { defineStage } from "../../../core/index.ts";

function writeTag(view: DataView, offset: number, tag: string): void {
  for (let i = 0; i < tag.length; i++) view.setUint8(offset + i, tag.charCodeAt(i));
}

export const wavHeader = defineStage({
  name: "pure-wav-header", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 0.01, outputBytes: () => 44 },
  run: ({ sampleRate, channels, samples }: { sampleRate: number; channels: number; samples: number }) => {
    const bits = 16;
    const dataBytes = samples * channels * (bits / 8);
    const view = new DataView(new ArrayBuffer(44));
    writeTag(view, 0, "RIFF");
    view.setUint32(4, 36 + dataBytes, true);
    writeTag(view, 8, "WAVE");
    writeTag(view, 12, "fmt ");
    view.setUint32(16, 16, true);
    view.setUint16(20, 1, true);
    view.setUint16(22, channels, true);
    view.setUint32(24, sampleRate, true);
    view.setUint32(28, sampleRate * channels * (bits / 8), true);
    view.setUint16(32, channels * (bits / 8), true);
    view.setUint16(34, bits, true);
    writeTag(view, 36, "data");
    view.setUint32(40, dataBytes, true);
    return new Uint8Array(view.buffer);
  },
});
