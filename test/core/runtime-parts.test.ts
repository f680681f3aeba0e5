import { describe, expect, it } from "vitest";
import { type Ballot, type Committed, type Entry, type ToAcceptor, makeConfig } from "../../core/paxos/index.ts";
import { checkCluster, clusterFingerprint, parseBatch } from "../../runtime/acceptor-batch.ts";
import { AcceptorChannel, messageKey } from "../../runtime/acceptor-channel.ts";
import { AppliedLog, utf8Length } from "../../runtime/applied-log.ts";
import { errorCode } from "../../runtime/errors.ts";
import { electedView } from "../../workers/routing.ts";

const ballot = (round: number, proposer = "p"): Ballot => ({ round, proposer });
const entry = (id: string, data: unknown = id): Entry => ({ commands: [{ kind: "app", id, data }] });
const accept = (slot: number, commitThrough: number, e: Entry = entry(`s${slot}`)): ToAcceptor => ({
  type: "accept",
  ballot: ballot(1),
  slot,
  entry: e,
  commitThrough,
});

describe("AcceptorChannel", () => {
  it("collapses retransmissions by (type, ballot, slot), keeping the newest commit cursor", async () => {
    const batches: ToAcceptor[][] = [];
    let release!: () => void;
    const channel = new AcceptorChannel(async (batch) => {
      batches.push(batch);
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    const first = channel.send([accept(1, 0)]);
    // While the first call is out, the leader retransmits slot 2 with a newer commitThrough each time.
    const waiting = [
      channel.send([accept(2, 0), { type: "commit", ballot: ballot(1), through: 0 }]),
      channel.send([accept(2, 1), { type: "commit", ballot: ballot(1), through: 1 }]),
      channel.send([accept(3, 1)]),
    ];
    release();
    await Promise.all([first, ...waiting]);
    expect(batches).toEqual([
      [accept(1, 0)],
      [accept(2, 1), { type: "commit", ballot: ballot(1), through: 1 }, accept(3, 1)],
    ]);
  });

  it("keys messages without looking at entries", () => {
    const huge = entry("big", "x".repeat(1_000_000));
    const poisoned = { commands: [] } as unknown as Entry;
    Object.defineProperty(poisoned, "commands", { get: () => { throw new Error("entry was read"); } });
    expect(messageKey(accept(7, 3, huge))).toBe(messageKey(accept(7, 9, poisoned)));
    expect(messageKey(accept(7, 3))).not.toBe(messageKey({ type: "accept", ballot: ballot(2), slot: 7, entry: entry("s7"), commitThrough: 3 }));
    expect(messageKey({ type: "prepare", ballot: ballot(1), fromSlot: 1 })).not.toBe(messageKey({ type: "prepare", ballot: ballot(1), fromSlot: 2 }));
  });
});

describe("AppliedLog retention", () => {
  const committed = (slot: number, data: unknown = slot): Committed => ({ slot, entry: entry(`c${slot}`, data) });

  it("keeps the newest entries by count, reading from any slot", () => {
    const log = new AppliedLog(100, 5);
    for (let slot = 1; slot <= 1_000; slot++) log.apply(committed(slot));
    expect(log.retained.entries).toBe(5);
    expect(log.read(1, 100).map((c) => c.slot)).toEqual([996, 997, 998, 999, 1000]);
    expect(log.read(998, 2).map((c) => c.slot)).toEqual([998, 999]);
    expect(log.read(2_000, 10)).toEqual([]);
  });

  it("also bounds retained bytes, always keeping the newest entry", () => {
    const size = utf8Length(JSON.stringify(entry("c1", "y".repeat(300)).commands[0]));
    const log = new AppliedLog(100, 10_000, 3 * size + 10);
    for (let slot = 1; slot <= 50; slot++) log.apply(committed(slot, "y".repeat(300)));
    expect(log.read(1, 100).map((c) => c.slot)).toEqual([48, 49, 50]);
    expect(log.retained.bytes).toBeLessThanOrEqual(3 * size + 10);
    log.apply(committed(51, "z".repeat(10_000)));
    expect(log.read(1, 100).map((c) => c.slot)).toEqual([51]);
  });

  it("counts UTF-8 bytes, not UTF-16 units", () => {
    expect(utf8Length("aé€😀")).toBe(1 + 2 + 3 + 4);
    expect(utf8Length("😀")).toBe(new TextEncoder().encode("😀").length);
  });
});

describe("acceptor batch checks", () => {
  it("accepts well-formed batches and names the first malformed message", () => {
    const good: ToAcceptor[] = [
      { type: "prepare", ballot: ballot(1), fromSlot: 1 },
      accept(1, 0),
      { type: "commit", ballot: ballot(1), through: 1 },
      { type: "learn", fromSlot: 1 },
      { type: "compact", snapshot: { through: 1, configs: [], app: null } },
    ];
    expect(parseBatch("a", good)).toBe(good);
    const bad = (value: unknown) => {
      try {
        parseBatch("a", value);
      } catch (error) {
        expect(errorCode(error)).toBe("invalid-batch");
        return (error as Error).message;
      }
      throw new Error("accepted a malformed batch");
    };
    expect(bad({ type: "prepare" })).toContain("must be an array");
    expect(bad([good[0], { type: "bogus" }])).toMatch(/message 1 .*unknown type "bogus".*nothing in the batch was applied/);
    expect(bad([null])).toContain("message 0");
    expect(bad([{ type: "prepare", ballot: { round: "1", proposer: "p" }, fromSlot: 1 }])).toContain("ballot.round");
    expect(bad([{ ...accept(1, 0), slot: 0 }])).toContain("slot must be an integer >= 1");
    expect(bad([{ ...accept(1, 0), entry: { commands: [{ kind: "app" }] } }])).toContain("entry.commands[0]");
    expect(bad([{ type: "compact", snapshot: { through: 1 } }])).toContain("snapshot");
  });

  it("stores the first fingerprint and refuses another, naming both and the variables", () => {
    const fingerprint = clusterFingerprint(makeConfig(["x", "y", "z"], { alpha: 4 }));
    const other = clusterFingerprint(makeConfig(["x", "y", "z"], { alpha: 8 }));
    expect(checkCluster("x", null, fingerprint)).toBe(fingerprint);
    expect(checkCluster("x", fingerprint, fingerprint)).toBeNull();
    let error: unknown;
    try {
      checkCluster("x", fingerprint, other);
    } catch (e) {
      error = e;
    }
    expect(errorCode(error)).toBe("cluster-mismatch");
    const message = String(error);
    expect(message).toContain(fingerprint);
    expect(message).toContain(other);
    expect(message).toContain("ACCEPTORS_PER_SHARD, PHASE1_QUORUM, PHASE2_QUORUM and ALPHA must not change on a live cluster");
    expect(() => checkCluster("x", null, undefined)).toThrow(/fingerprint/);
  });
});

describe("/v1/cluster leader view", () => {
  it("names the highest-ballot self-declared leader and marks the others stale-leader", () => {
    const view = electedView([
      { role: "leader", ballot: ballot(3, "shard-0/commander-0#a") },
      { role: "leader", ballot: ballot(5, "shard-0/commander-1#b") },
      null,
      { role: "follower", ballot: ballot(7, "shard-0/commander-3#c") },
    ]);
    expect(view).toEqual({ leader: 1, roles: ["stale-leader", "leader", null, "follower"] });
    expect(electedView([{ role: "candidate", ballot: ballot(1) }])).toEqual({ leader: null, roles: ["candidate"] });
  });
});
