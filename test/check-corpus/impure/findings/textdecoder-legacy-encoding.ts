// expect: purity/host@11 purity/host@12
// Decoding uploads in legacy encodings: which labels TextDecoder supports depends on the host
// (full or small ICU in Node; workerd supports far fewer), so it decodes or throws by host.
// UTF-8 (the default) and utf-16le are supported everywhere.
import { defineStage } from "../../../../core/index.ts";

export const decodeUpload = defineStage({
  name: "decode-upload", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (bytes) => 1 + bytes / 1_000_000, outputBytes: (bytes) => bytes * 2 },
  run: (file: { bytes: Uint8Array; charset: "utf-8" | "shift_jis" | "gbk" }) => {
    const sjis = new TextDecoder("shift_jis").decode(file.bytes);
    const gbk = new TextDecoder("gbk", { fatal: false }).decode(file.bytes);
    const utf8 = new TextDecoder().decode(file.bytes);
    const utf16 = new TextDecoder("utf-16le").decode(file.bytes);
    const encoded = new TextEncoder().encode(utf8).length;
    return { chosen: file.charset === "utf-8" ? utf8 : sjis, gbk, utf16, encoded };
  },
});
