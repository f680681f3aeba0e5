// expect: none
// Access-log parsing with a non-global module-level regex (exec/test keep no state) and a global one built inside run for matchAll.
import { defineStage } from "../../../core/index.ts";

const LINE = /^(\S+) \S+ \S+ \[([^\]]+)\] "(\w+) (\S+)[^"]*" (\d{3}) (\d+|-)$/;

export const parseLog = defineStage({
  name: "pure-access-log", version: 1, caps: ["cpu"], timeoutMs: 2_000,
  cost: { runtimeMs: (bytes) => bytes * 3e-6, outputBytes: (bytes) => bytes },
  run: (text: string) => {
    const query = new RegExp("[?&]([^=&]+)=([^&]*)", "g");
    const out: Array<{ ip: string; when: string; method: string; path: string; status: number; bytes: number; params: string[] }> = [];
    for (const line of text.split("\n")) {
      if (!LINE.test(line)) continue;
      const m = LINE.exec(line);
      if (!m) continue;
      const [, ip = "", when = "", method = "", path = "", status = "0", size = "-"] = m;
      const params = [...path.matchAll(query)].map((q) => q[1] ?? "");
      out.push({ ip, when, method, path: path.split("?")[0]!, status: Number(status), bytes: size === "-" ? 0 : Number(size), params });
    }
    return out;
  },
});
