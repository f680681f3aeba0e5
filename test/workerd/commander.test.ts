import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CommandSlot } from "../../runtime/applied-log.ts";
import { parseShardConfig } from "../../durable-objects/shard-config.ts";
import { errorCode } from "../../runtime/errors.ts";
import { shardView } from "../../workers/api.ts";

/** Each test gets its own shard number (conformance uses 100+, acceptor tests 900). */
let nextShard = 500;
const commanderOf = (shard: number, index = 0) => env.COMMANDER.get(env.COMMANDER.idFromName(`shard-${shard}/commander-${index}`));

async function submitRetrying(shard: number, id: string, data: unknown = null, index = 0): Promise<CommandSlot> {
  for (let attempt = 0; ; attempt++) {
    try {
      return ((await commanderOf(shard, index).submit([{ id, data }])) as CommandSlot[])[0]!;
    } catch (error) {
      if (attempt > 100 || !["not-leader", "commit-timeout", "call-timeout"].includes(errorCode(error) ?? "")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

describe("Commander Durable Object", () => {
  it("refuses a replacement acceptor that is not of its own shard, and changes nothing", async () => {
    const shard = nextShard++;
    await submitRetrying(shard, "first");
    const dead = `shard-${shard}/acceptor-2`;
    for (const fresh of [`shard-${shard + 1}/acceptor-3`, "shard-0/acceptor-0", `shard-${shard}/commander-1`, "anything"]) {
      const error = await commanderOf(shard).reconfigure(dead, fresh).catch((e: unknown) => e);
      expect(errorCode(error)).toBe("invalid-argument");
      expect(String(error)).toContain(`"shard-${shard}/acceptor-<n>"`);
    }
    const status = await commanderOf(shard).status();
    expect(status.latestConfig.epoch).toBe(1);
    expect(status.latestConfig.acceptors).toEqual([0, 1, 2].map((j) => `shard-${shard}/acceptor-${j}`));
    // Its own shard's spare is fine.
    const change = await commanderOf(shard).reconfigure(dead, `shard-${shard}/acceptor-3`);
    expect(change.config.acceptors).toContain(`shard-${shard}/acceptor-3`);
  });

  it("refuses a command too large for storage at submit, and the shard keeps committing", async () => {
    const shard = nextShard++;
    await submitRetrying(shard, "before");
    // Over the 2 MB SQLite value limit: before the fix every acceptor aborted on it forever.
    const error = await commanderOf(shard)
      .submit([{ id: "huge", data: "x".repeat(2_500_000) }])
      .catch((e: unknown) => e);
    expect(errorCode(error)).toBe("command-too-large");
    expect(String(error)).toContain("MAX_COMMAND_BYTES");
    const after = await submitRetrying(shard, "after");
    const ids = ((await commanderOf(shard).read(1, 100)) as { entry: { commands: { id: string }[] } }[]).flatMap((e) =>
      e.entry.commands.map((c) => c.id),
    );
    expect(ids).toEqual(["before", "after"]);
    expect(after.slot).toBeGreaterThan(0);
  });

  it("GET /v1/cluster shows a preempted commander that still believes it leads as stale-leader", async () => {
    const shard = nextShard++;
    await submitRetrying(shard, "by-0", null, 0);
    // Commander 0 goes idle believing it leads; commander 1 takes over once its lease lapses.
    await submitRetrying(shard, "by-1", null, 1);
    const view = await shardView(env, parseShardConfig(env), shard);
    expect((await commanderOf(shard, 0).status()).role).toBe("leader"); // nobody told it yet
    expect(view.leader?.commander).toBe(`shard-${shard}/commander-1`);
    expect(view.commanders.map((c) => c.role)).toEqual(["stale-leader", "leader"]);
  });
});
