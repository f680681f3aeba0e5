import { describe, expect, it } from "vitest";
import { makeConfig } from "../../core/paxos/index.ts";
import { type CommanderOptions, CommanderDriver } from "../../runtime/commander-driver.ts";
import { errorCode } from "../../runtime/errors.ts";
import { MemoryAcceptors } from "../../runtime/memory-transport.ts";

const ACCEPTORS = ["a0", "a1", "a2"];

function cluster(options: { leaseMs?: number; driver?: Partial<CommanderOptions> } = {}) {
  const network = new MemoryAcceptors(ACCEPTORS, { leaseMs: options.leaseMs ?? 0 });
  let incarnations = 0;
  const drivers: CommanderDriver[] = [];
  const start = (name: string) => {
    const driver = new CommanderDriver({
      id: `${name}#${++incarnations}`,
      initial: makeConfig(ACCEPTORS, { alpha: 4 }),
      transport: network,
      maxBatch: 8,
      retryMs: 5,
      callTimeoutMs: 200,
      campaignTimeoutMs: 300,
      commitTimeoutMs: 300,
      ...options.driver,
    });
    drivers.push(driver);
    return driver;
  };
  const stop = () => drivers.forEach((d) => d.close());
  return { network, start, stop };
}

const one = async (driver: CommanderDriver, id: string) => (await driver.submit([{ id, data: id }]))[0]!.slot;

/** Polls `check` (each poll lets timers run) until it holds; fails after many tries, never on timing. */
async function eventually(check: () => Promise<boolean> | boolean) {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("condition never held");
}

describe("CommanderDriver", () => {
  it("compacts every N slots; a new commander restores the snapshot, dedupe window included", async () => {
    const { network, start, stop } = cluster({ driver: { compactEvery: 3 } });
    try {
      const c0 = start("c0");
      const slots: number[] = [];
      for (let i = 0; i < 7; i++) slots.push(await one(c0, `cmd-${i}`));
      await eventually(() => ACCEPTORS.every((a) => (network.inspect(a).snapshot?.through ?? 0) >= 6));

      c0.close();
      const c1 = start("c1");
      // Applied before the snapshot and never replayed to c1: still known by id.
      await eventually(async () => {
        try {
          return (await one(c1, "cmd-1")) === slots[1];
        } catch (error) {
          if (errorCode(error) === "not-leader") return false;
          throw error;
        }
      });
      expect((await c1.submit([{ id: "cmd-1", data: "again" }]))[0]!.slot).toBe(slots[1]);
      await one(c1, "after");
      const status = c1.status();
      expect(status.appliedCommands).toBe(8);
      // Reads start after the snapshot c1 adopted: the older entries are not in its memory.
      expect(c1.read(1, 100)[0]!.slot).toBeGreaterThan(6);
    } finally {
      stop();
    }
  });

  it("replicas that apply the same log reach the same digest", async () => {
    const { start, stop } = cluster();
    try {
      const c0 = start("c0");
      const c1 = start("c1");
      for (let i = 0; i < 5; i++) await one(c0, `d-${i}`);
      await eventually(async () => (await c1.catchUp()).learnedThrough === c0.status().learnedThrough);
      expect(c1.status().digest).toBe(c0.status().digest);
      expect(c1.read(1, 100)).toEqual(c0.read(1, 100));
    } finally {
      stop();
    }
  });

  it("fails a campaign against a live leader's lease with NotLeaderError naming the leader", async () => {
    const { start, stop } = cluster({ leaseMs: 3_600_000 });
    try {
      const c0 = start("c0");
      await one(c0, "x");
      const c1 = start("c1");
      const error = await c1.submit([{ id: "y", data: null }]).catch((e: unknown) => e);
      expect(errorCode(error)).toBe("not-leader");
      expect(String(error)).toContain("lease");
      expect(String(error)).toContain(c0.id);
      expect(c0.status().role).toBe("leader");
      expect(await one(c0, "y")).toBeGreaterThan(0);
    } finally {
      stop();
    }
  });

  it("reports per-acceptor health as the leader sees it", async () => {
    const { network, start, stop } = cluster();
    try {
      const c0 = start("c0");
      network.setFault("a1", { mode: "down" });
      network.setFault("a2", { mode: "refuse" });
      const error = await c0.submit([{ id: "z", data: null }]).catch((e: unknown) => e);
      expect(errorCode(error)).toBe("not-leader");
      const health = Object.fromEntries(c0.status().acceptors.map((a) => [a.acceptor, a]));
      expect(health.a0).toMatchObject({ health: "ok", consecutiveFailures: 0, lastError: null });
      expect(health.a0!.latencyMs).toEqual(expect.any(Number));
      expect(health.a1).toMatchObject({ health: "unreachable", lastOkAt: null });
      expect(health.a1!.consecutiveFailures).toBeGreaterThan(0);
      expect(health.a2).toMatchObject({ health: "refusing" });
      expect(health.a2!.lastError).toContain("refuses");
    } finally {
      stop();
    }
  });

  it("rejects waiting callers when closed", async () => {
    const { network, start, stop } = cluster();
    try {
      const c0 = start("c0");
      await one(c0, "first");
      network.setFault("a1", { mode: "down" });
      network.setFault("a2", { mode: "down" });
      const pending = c0.submit([{ id: "never", data: null }]).catch((e: unknown) => e);
      c0.close();
      expect(errorCode(await pending)).toBe("commander-closed");
      await expect(c0.submit([{ id: "late", data: null }])).rejects.toThrow(/shut down/);
    } finally {
      stop();
    }
  });
});
