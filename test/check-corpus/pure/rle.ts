// expect: none
// Run-length encode and decode of strings, built with string concatenation and repeat.
import { defineStage } from "../../../core/index.ts";

export const rleEncode = defineStage({
  name: "pure-rle-encode", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 1e-5, outputBytes: (bytes) => bytes * 2 },
  run: (s: string) => {
    let out = "";
    let i = 0;
    while (i < s.length) {
      const c = s.charAt(i);
      let n = 1;
      while (i + n < s.length && s.charAt(i + n) === c && n < 9) n++;
      out += `${n}${c}`;
      i += n;
    }
    return out;
  },
});

export const rleDecode = defineStage({
  name: "pure-rle-decode", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 1e-5, outputBytes: (bytes) => bytes * 5 },
  run: (s: string) => {
    const parts: string[] = [];
    for (let i = 0; i + 1 < s.length; i += 2) parts.push(s.charAt(i + 1).repeat(Number(s.charAt(i))));
    return parts.join("");
  },
});
