import { describe, expect, it } from "vitest";
import { type Level, jsonLogger } from "../../runtime/log.ts";

describe("structured logs", () => {
  it("write one JSON object per line with job, call and trace on every line", () => {
    const lines: [Level, string][] = [];
    const log = jsonLogger({ shard: 1 }, (level, line) => lines.push([level, line])).with({ commander: "shard-1/commander-0#a" });
    log.warn("re-dispatching failed", { job: "j-1.2", call: "j-1.2#3", trace: "j-1", reason: "not leader" });
    log.info("plain");
    log.error("boom", { job: "j-9", error: new RangeError("out of range") });
    const parsed = lines.map(([level, line]) => ({ level, ...(JSON.parse(line) as Record<string, unknown>) }));
    expect(parsed[0]).toMatchObject({ level: "warn", src: "paxflow", msg: "re-dispatching failed", job: "j-1.2", call: "j-1.2#3", trace: "j-1", shard: 1, commander: "shard-1/commander-0#a", reason: "not leader" });
    expect(parsed[1]).toMatchObject({ level: "info", job: null, call: null, trace: null });
    // Without a trace, a job's line is traced by the job; errors keep their name and message.
    expect(parsed[2]).toMatchObject({ level: "error", trace: "j-9", error: { name: "RangeError", message: "out of range" } });
    for (const [, line] of lines) expect(line).not.toContain("\n");
  });
});
