// expect: purity/outer-write@13 purity/outer-write@15
// Patching a PNG header: `subarray` is a view that shares the input's buffer, so writing it
// writes the input. `slice` copies the bytes; writing the copy is fine.
import { defineStage } from "../../../../core/index.ts";

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];

export const fixPngMagic = defineStage({
  name: "fix-png-magic", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => 1 + bytes / 1_000_000, outputBytes: (bytes) => bytes },
  run: (file: Uint8Array) => {
    const header = file.subarray(0, 4);
    header.set(PNG_MAGIC);
    const chunk = file.subarray(8, 16);
    chunk[3] = 13;
    const out = file.slice();
    out.set(PNG_MAGIC, 0);
    const tail = out.subarray(8, 16);
    tail[3] = 13;
    return out;
  },
});
