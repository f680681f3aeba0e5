import { describe, expect, it } from "vitest";
import { type ToAcceptor, makeConfig } from "../../core/paxos/index.ts";
import { type CommanderOptions, CommanderDriver, nextAcceptorName } from "../../runtime/commander-driver.ts";
import { appliedStateOf } from "../../runtime/applied-log.ts";
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

  it("takes a large snapshot only once the log since the last one has grown as large", async () => {
    // A state machine whose snapshot is 300 KB, whatever was applied: AMORTISE_SNAPSHOTS_ABOVE_BYTES is 256 KiB.
    const big = "x".repeat(300_000);
    const machine = { apply: () => undefined, snapshot: () => big, restore: () => undefined };
    const { network, start, stop } = cluster({ driver: { compactEvery: 3, machine } });
    const snapshotThrough = () => Math.min(...ACCEPTORS.map((a) => network.inspect(a).snapshot?.through ?? 0));
    try {
      const c0 = start("c0");
      for (let i = 0; i < 3; i++) await one(c0, `small-${i}`);
      await eventually(() => snapshotThrough() >= 3);
      // Small commands: every 3 slots would have taken a snapshot; these take none.
      for (let i = 3; i < 12; i++) await one(c0, `small-${i}`);
      expect(snapshotThrough()).toBeLessThan(6);
      // About 320 KB of log later, the next one.
      const payload = "y".repeat(40_000);
      for (let i = 0; i < 8; i++) await c0.submit([{ id: `big-${i}`, data: payload }]);
      await eventually(() => snapshotThrough() > 12);
    } finally {
      stop();
    }
  });

  it("a compaction snapshot is the machine's state at its slot, however late its message leaves", async () => {
    // Found by the job-plane simulation (runtime/sim/job-sim.ts): JobsState.snapshot() holds the
    // live job records, and a compact message queued behind a slow acceptor left after later
    // slots changed them, so acceptors stored "through slot T" a state with later slots in it.
    // Here the transport keeps each batch as given (an RPC that serialises when it leaves).
    const network = new MemoryAcceptors(ACCEPTORS);
    const sent: ToAcceptor[] = [];
    const state = { applied: 0 };
    const driver = new CommanderDriver({
      id: "c0#1",
      initial: makeConfig(ACCEPTORS, { alpha: 1 }),
      transport: { call: (acceptor, messages, cluster) => (sent.push(...messages), network.call(acceptor, messages, cluster)) },
      maxBatch: 1,
      retryMs: 5,
      compactEvery: 2,
      machine: { apply: () => void state.applied++, snapshot: () => state, restore: () => undefined },
    });
    try {
      for (let i = 0; i < 5; i++) await one(driver, `cmd-${i}`);
      const compacts = sent.flatMap((m) => (m.type === "compact" ? [m.snapshot] : []));
      expect(compacts.length).toBeGreaterThan(0);
      for (const snapshot of compacts) {
        // The state travels as its JSON text: a copy of the moment, not the live object.
        expect(typeof snapshot.app).toBe("string");
        expect((appliedStateOf(snapshot).machine as { applied: number }).applied).toBe(snapshot.through);
      }
    } finally {
      driver.close();
    }
  });

  it("takes a snapshot once the log since the last holds COMPACT_BYTES, however few slots that is", async () => {
    const { network, start, stop } = cluster({ driver: { compactEvery: 100_000 } });
    const snapshotThrough = () => Math.min(...ACCEPTORS.map((a) => network.inspect(a).snapshot?.through ?? 0));
    try {
      const c0 = start("c0");
      const payload = "z".repeat(40_000);
      // About 1 MB: not yet.
      for (let i = 0; i < 25; i++) await c0.submit([{ id: `a-${i}`, data: payload }]);
      expect(snapshotThrough()).toBe(0);
      // Past COMPACT_BYTES (2 MiB) of log: one is taken, far short of COMPACT_EVERY slots.
      for (let i = 0; i < 35; i++) await c0.submit([{ id: `b-${i}`, data: payload }]);
      await eventually(() => snapshotThrough() > 25);
    } finally {
      stop();
    }
  });

  describe("a leader deposed while idle (no acceptor lease here): the one before still believes it leads", () => {
    /** `old` leads and commits; a second commander takes over, and `old` hears nothing of it. */
    async function deposed(readLeaseMs: number) {
      const { start, stop } = cluster({ driver: { readLeaseMs } });
      const old = start("old");
      await one(old, "first");
      const next = start("next");
      await eventually(async () => {
        try {
          await one(next, "second");
          return true;
        } catch (error) {
          if (errorCode(error) === "not-leader") return false;
          throw error;
        }
      });
      expect(old.role).toBe("leader");
      return { old, next, stop };
    }

    it("within its read lease it answers from its own state, as before", async () => {
      const { old, stop } = await deposed(60_000);
      try {
        const before = old.status().learnedThrough;
        await old.lead({ confirm: true });
        expect(old.status().learnedThrough).toBe(before);
      } finally {
        stop();
      }
    });

    it("past it, a read learns it: the no-op it proposes cannot be chosen under its old ballot", async () => {
      const { old, next, stop } = await deposed(0);
      try {
        await old.lead();
        const refused = await old.lead({ confirm: true }).then(() => "confirmed", (error: unknown) => errorCode(error));
        expect(refused).toBe("not-leader");
        // The leader that is one confirms at once.
        await next.lead({ confirm: true });
      } finally {
        stop();
      }
    });
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

  it("refuses a command over maxCommandBytes at submit, proposes nothing, and keeps serving", async () => {
    const { start, stop } = cluster({ driver: { maxCommandBytes: 1_000, maxBatchBytes: 1_000 } });
    try {
      const c0 = start("c0");
      await one(c0, "small");
      const error = await c0.submit([{ id: "huge", data: "x".repeat(2_000) }]).catch((e: unknown) => e);
      expect(errorCode(error)).toBe("command-too-large");
      expect(String(error)).toMatch(/command huge is \d+ bytes encoded, over the limit of 1000 bytes/);
      // Measured in UTF-8: 400 euro signs are 1,200 bytes though only 400 UTF-16 units.
      expect(errorCode(await c0.submit([{ id: "euros", data: "€".repeat(400) }]).catch((e: unknown) => e))).toBe("command-too-large");
      expect(c0.status().pending).toBe(0);
      await one(c0, "after");
      expect(c0.read(1, 100).flatMap((e) => e.entry.commands.map((c) => c.id))).toEqual(["small", "after"]);
    } finally {
      stop();
    }
  });

  it("packs at most maxBatchBytes of commands into one slot", async () => {
    const { start, stop } = cluster({ driver: { maxCommandBytes: 400, maxBatchBytes: 1_000 } });
    try {
      const c0 = start("c0");
      await one(c0, "lead");
      const ids = Array.from({ length: 8 }, (_, i) => `b-${i}`);
      await c0.submit(ids.map((id) => ({ id, data: "y".repeat(300) })));
      const slots = c0.read(1, 100).filter((e) => e.entry.commands.some((c) => c.id.startsWith("b-")));
      expect(slots.length).toBeGreaterThan(2);
      for (const { entry } of slots) expect(entry.commands.reduce((n, c) => n + JSON.stringify(c).length, 0)).toBeLessThanOrEqual(1_000);
    } finally {
      stop();
    }
  });

  it("withdraws a queued command whose caller timed out: it never reaches the log", async () => {
    // alpha 4 and one command per slot: p-0..p-3 fill the pipeline, q waits in the queue.
    const { network, start, stop } = cluster({ driver: { maxBatch: 1, commitTimeoutMs: 100 } });
    try {
      const c0 = start("c0");
      await one(c0, "lead");
      network.setFault("a1", { mode: "down" });
      network.setFault("a2", { mode: "down" });
      const stuck = ["p-0", "p-1", "p-2", "p-3", "q"].map((id) => c0.submit([{ id, data: id }]).catch((e: unknown) => e));
      for (const outcome of await Promise.all(stuck)) expect(errorCode(outcome)).toBe("commit-timeout");
      expect(c0.status()).toMatchObject({ queued: 0, inFlight: 4, pending: 4 });

      network.setFault("a1", null);
      network.setFault("a2", null);
      await one(c0, "r");
      const ids = c0.read(1, 100).flatMap((e) => e.entry.commands.map((c) => c.id));
      // The in-flight ones may be chosen (they were sent); the withdrawn one never is.
      expect(ids).toEqual(["lead", "p-0", "p-1", "p-2", "p-3", "r"]);
      expect(c0.status().pending).toBe(0);
    } finally {
      stop();
    }
  });

  it("refuses a single submit larger than maxPending as one that can never fit, not as overloaded", async () => {
    const { start, stop } = cluster({ driver: { maxPending: 6 } });
    try {
      const c0 = start("c0");
      await one(c0, "lead");
      const huge = await c0.submit(Array.from({ length: 7 }, (_, i) => ({ id: `h-${i}`, data: i }))).catch((e: unknown) => e);
      expect(errorCode(huge)).toBe("invalid-argument");
      expect(String(huge)).toContain("one submit of 7 commands is more than");
      expect(String(huge)).toContain("retrying as it is cannot succeed");
      expect(c0.status().pending).toBe(0);
    } finally {
      await stop();
    }
  });

  it("fails submits fast with overloaded beyond maxPending; withdrawn commands free the room", async () => {
    const { network, start, stop } = cluster({ driver: { maxBatch: 1, maxPending: 6, commitTimeoutMs: 100 } });
    try {
      const c0 = start("c0");
      await one(c0, "lead");
      network.setFault("a1", { mode: "down" });
      network.setFault("a2", { mode: "down" });
      const stuck = Array.from({ length: 6 }, (_, i) => c0.submit([{ id: `s-${i}`, data: i }]).catch((e: unknown) => e));
      const over = await c0.submit([{ id: "s-6", data: 6 }]).catch((e: unknown) => e);
      expect(errorCode(over)).toBe("overloaded");
      expect(String(over)).toContain("MAX_PENDING is 6");
      // Waiting again for an id that is already pending adds nothing, so it is not refused.
      const rejoin = c0.submit([{ id: "s-0", data: 0 }]).catch((e: unknown) => e);
      for (const outcome of await Promise.all([...stuck, rejoin])) expect(errorCode(outcome)).toBe("commit-timeout");
      // The two queued ones were withdrawn; the four in flight still count.
      expect(c0.status().pending).toBe(4);
      expect(errorCode(await c0.submit([{ id: "s-6", data: 6 }]).catch((e: unknown) => e))).toBe("commit-timeout");
    } finally {
      stop();
    }
  });

  it("stops for good on a cluster mismatch: every call fails with it at once, and acceptors keep the fingerprint across a crash", async () => {
    const { network, start, stop } = cluster();
    try {
      const c0 = start("c0");
      await one(c0, "x");
      network.crash("a0");
      const stranger = new CommanderDriver({
        id: "stranger#1",
        initial: makeConfig(ACCEPTORS, { alpha: 5 }),
        transport: network,
        campaignTimeoutMs: 3_600_000,
        commitTimeoutMs: 3_600_000,
      });
      try {
        const first = await stranger.submit([{ id: "s", data: null }]).catch((e: unknown) => e);
        expect(errorCode(first)).toBe("cluster-mismatch");
        expect(String(first)).toContain("alpha=4");
        expect(String(first)).toContain("alpha=5");
        expect(errorCode(await stranger.submit([{ id: "s2", data: null }]).catch((e: unknown) => e))).toBe("cluster-mismatch");
        expect(errorCode(await stranger.catchUp().catch((e: unknown) => e))).toBe("cluster-mismatch");
        expect(stranger.status().misconfigured).toContain("must not change on a live cluster");
      } finally {
        stranger.close();
      }
      expect(await one(c0, "y")).toBeGreaterThan(0);
      expect(c0.status().misconfigured).toBeNull();
    } finally {
      stop();
    }
  });

  describe("auto-replace (autoReplaceAfterMs) and thrifty phase 2", () => {
    it("as leader, replaces an acceptor whose every call failed for the window by the next unused name, through the log", async () => {
      const { network, start, stop } = cluster({ driver: { autoReplaceAfterMs: 40, thrifty: true } });
      network.add("a3");
      try {
        const c0 = start("c0");
        await one(c0, "before");
        network.setFault("a1", { mode: "down" });
        // No traffic needed: while an acceptor fails, the leader's timer keeps observing it.
        await eventually(() => c0.status().autoReplace.replacements.some((r) => r.outcome === "done"));
        const status = c0.status();
        expect(status.latestConfig).toMatchObject({ epoch: 2, acceptors: ["a0", "a3", "a2"] });
        expect(status.autoReplace.replacements).toEqual([
          expect.objectContaining({ dead: "a1", fresh: "a3", outcome: "done", error: null, slot: expect.any(Number), fromSlot: expect.any(Number) }),
        ]);
        const [replacement] = status.autoReplace.replacements;
        expect(replacement!.failingForMs).toBeGreaterThanOrEqual(40);
        expect(replacement!.lastError).toContain("down");
        // Commits continue, past the slot where the new configuration takes over.
        let last = 0;
        for (let i = 0; last <= replacement!.fromSlot!; i++) last = await one(c0, `after-${i}`);
        expect(c0.status().config.acceptors).toEqual(["a0", "a3", "a2"]);
        // The dead acceptor is no longer a member, so nothing more is replaced.
        expect(c0.status().autoReplace.replacements).toHaveLength(1);
        // The new member decides: with a0 down as well, a2 and a3 choose (thrifty widens to a3).
        network.setFault("a0", { mode: "down" });
        const slot = await one(c0, "new-set");
        network.setFault("a0", null);
        expect(network.inspect("a3").accepted.get(slot)?.entry.commands[0]?.id).toBe("new-set");
      } finally {
        stop();
      }
    });

    it("never replaces when it would leave no quorum, and has at most one change in flight", async () => {
      const { network, start, stop } = cluster({ driver: { autoReplaceAfterMs: 40, commitTimeoutMs: 150 } });
      network.add("a3");
      try {
        const c0 = start("c0");
        await one(c0, "before");
        // a1 is down and a2 never answers in time: the change to replace a1 can be proposed (a2 has
        // not failed yet) but not chosen; while it is in flight, nothing else is proposed.
        network.setFault("a1", { mode: "down" });
        network.setFault("a2", { mode: "slow", delayMs: 60_000 });
        await eventually(() => c0.status().autoReplace.replacements.length > 0);
        expect(c0.status().autoReplace.replacements).toEqual([expect.objectContaining({ dead: "a1", fresh: "a3", outcome: "proposed" })]);
        // It fails (commit-timeout); by then a2 has failed too, and one answering acceptor is no quorum.
        await eventually(() => c0.status().autoReplace.blocked !== null);
        const status = c0.status();
        expect(status.autoReplace.blocked).toMatch(/fewer than the phase-2 quorum \(2\)/);
        expect(status.autoReplace.replacements).toEqual([expect.objectContaining({ dead: "a1", outcome: "failed", error: expect.stringContaining("not committed") })]);
        expect(status.latestConfig.epoch).toBe(1);
      } finally {
        stop();
      }
    });

    it("is off by default; thrifty ranks a slow acceptor last, and widens a slot whose quorum lost an acceptor", async () => {
      const { network, start, stop } = cluster({ driver: { thrifty: true } });
      try {
        const c0 = start("c0");
        network.setFault("a0", { mode: "slow", delayMs: 30 });
        await eventually(async () => {
          await one(c0, `x-${Math.random()}`);
          return c0.status().thrifty.ranking.at(-1) === "a0";
        });
        const before = c0.status().thrifty.widenedSlots;
        // The next accept goes to a1 and a2; a1 is down, so only widening to the slow a0 chooses it.
        network.setFault("a1", { mode: "down" });
        await one(c0, "y");
        const status = c0.status();
        expect(status.thrifty.enabled).toBe(true);
        expect(status.thrifty.widenedSlots).toBeGreaterThan(before);
        expect(status.thrifty.ranking.at(-1)).toBe("a1"); // failing acceptors rank last
        expect(status.autoReplace).toEqual({ afterMs: 0, blocked: null, replacements: [] });
        expect(status.latestConfig.epoch).toBe(1);
      } finally {
        stop();
      }
    });
  });

  it("names a replacement one past the highest number in its series", () => {
    expect(nextAcceptorName("a1", ["a0", "a1", "a2"])).toBe("a3");
    expect(nextAcceptorName("shard-3/acceptor-0", ["shard-3/acceptor-0", "shard-3/acceptor-7", "shard-3/acceptor-2", "shard-30/acceptor-9"])).toBe("shard-3/acceptor-8");
    expect(nextAcceptorName("solo", ["solo"])).toBe("solo-0");
  });
});
