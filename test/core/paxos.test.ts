import { describe, expect, it } from "vitest";
import {
  type AcceptorState,
  type AcceptorWrite,
  type Envelope,
  type LogCommand,
  type ProposerReady,
  type ToAcceptor,
  type ToProposer,
  ConfigError,
  Proposer,
  emptyAcceptorState,
  makeConfig,
  replaceAcceptor,
  restoreAcceptor,
  stepAcceptor,
  validateConfig,
} from "../../core/paxos/index.ts";

const app = (id: string): LogCommand => ({ kind: "app", id, data: id });

/** A perfect, synchronous network around real acceptors: enough to pin protocol behaviour. */
class Bench {
  readonly acceptors = new Map<string, { state: AcceptorState; disk: AcceptorWrite[] }>();
  readonly log: Envelope<ToAcceptor>[] = [];
  down = new Set<string>();

  constructor(readonly ids: string[]) {
    for (const id of ids) this.acceptors.set(id, { state: emptyAcceptorState(), disk: [] });
  }

  /** Runs a proposer step and delivers everything it causes until the network is quiet. */
  run(p: Proposer, ready: ProposerReady, committed: string[][] = []): string[][] {
    const pending = [...ready.send];
    for (const c of ready.committed) committed.push(c.entry.commands.map((x) => x.id));
    while (pending.length) {
      const env = pending.shift()!;
      this.log.push(env);
      if (this.down.has(env.to)) continue;
      let a = this.acceptors.get(env.to);
      if (!a) this.acceptors.set(env.to, (a = { state: emptyAcceptorState(), disk: [] }));
      const { writes, reply } = stepAcceptor(a.state, env.message);
      a.disk.push(...writes);
      if (!reply) continue;
      const next = p.step({ type: "receive", from: env.to, message: reply as ToProposer });
      for (const c of next.committed) committed.push(c.entry.commands.map((x) => x.id));
      pending.push(...next.send);
    }
    return committed;
  }
}

const proposer = (id: string, n = 3, { alpha = 4, maxBatch = 8 }: { alpha?: number; maxBatch?: number } = {}) =>
  new Proposer({ id, initial: makeConfig(Array.from({ length: n }, (_, i) => `a${i}`), { alpha }), maxBatch });

describe("flexible quorums", () => {
  it("accepts |Q1| + |Q2| > N and names the problem otherwise", () => {
    expect(makeConfig(["a", "b", "c", "d", "e"], { phase1Quorum: 4, phase2Quorum: 2 }).phase2Quorum).toBe(2);
    expect(() => makeConfig(["a", "b", "c", "d"], { phase1Quorum: 2, phase2Quorum: 2 })).toThrow(
      /phase1Quorum \(2\) \+ phase2Quorum \(2\) must exceed the number of acceptors \(4\)/,
    );
    expect(() => validateConfig({ epoch: 1, acceptors: ["a", "a"], phase1Quorum: 2, phase2Quorum: 1, alpha: 4 })).toThrow(ConfigError);
    expect(() => makeConfig(["a"], { alpha: 0 })).toThrow(/alpha must be an integer >= 1/);
    expect(() => makeConfig(["a"], { phase1Quorum: 2 })).toThrow(/phase1Quorum must be an integer between 1 and/);
    expect(() => makeConfig([])).toThrow(/at least one acceptor/);
  });
});

describe("acceptor", () => {
  it("persists a promise before answering and refuses lower ballots", () => {
    const s = emptyAcceptorState();
    const high = { round: 2, proposer: "p" };
    const first = stepAcceptor(s, { type: "prepare", ballot: high, fromSlot: 1 });
    expect(first.writes).toEqual([{ kind: "promise", ballot: high }]);
    expect(first.reply?.type).toBe("promise");
    const low = stepAcceptor(s, { type: "accept", ballot: { round: 1, proposer: "q" }, slot: 1, entry: { commands: [] }, commitThrough: 0 });
    expect(low.writes).toEqual([]);
    expect(low.reply).toEqual({ type: "nack", ballot: { round: 1, proposer: "q" }, promised: high });
  });

  it("marks a late accept chosen when a commit notice of the same ballot already covered its slot", () => {
    const s = emptyAcceptorState();
    const b = { round: 1, proposer: "p" };
    stepAcceptor(s, { type: "prepare", ballot: b, fromSlot: 1 });
    stepAcceptor(s, { type: "commit", ballot: b, through: 5 }); // slot 3 was chosen without this acceptor
    const late = stepAcceptor(s, { type: "accept", ballot: b, slot: 3, entry: { commands: [app("x")] }, commitThrough: 2 });
    expect(late.writes.map((w) => w.kind)).toEqual(["accept", "chosen"]);
    const other = stepAcceptor(s, { type: "accept", ballot: { round: 2, proposer: "q" }, slot: 4, entry: { commands: [] }, commitThrough: 0 });
    expect(other.writes.map((w) => w.kind)).toEqual(["promise", "accept"]); // another ballot's notice proves nothing
  });

  it("is rebuilt exactly from what it persisted", () => {
    const s = emptyAcceptorState();
    const disk: AcceptorWrite[] = [];
    const b = { round: 1, proposer: "p" };
    for (const m of [
      { type: "prepare", ballot: b, fromSlot: 1 },
      { type: "accept", ballot: b, slot: 1, entry: { commands: [app("x")] }, commitThrough: 0 },
      { type: "accept", ballot: b, slot: 2, entry: { commands: [app("y")] }, commitThrough: 1 },
    ] as ToAcceptor[]) disk.push(...stepAcceptor(s, m).writes);
    const restored = restoreAcceptor(disk);
    expect(restored.promised).toEqual(s.promised);
    expect([...restored.accepted]).toEqual([...s.accepted]);
    expect(restored.accepted.get(1)?.chosen).toBe(true); // piggybacked commit marked slot 1
    expect(restored.accepted.get(2)?.chosen).toBe(false);
  });
});

describe("Multi-Paxos proposer", () => {
  it("runs Phase 1 once, then a stable leader goes straight to Phase 2", () => {
    const net = new Bench(["a0", "a1", "a2"]);
    const p = proposer("p1");
    net.run(p, p.step({ type: "campaign" }));
    expect(p.role).toBe("leader");
    const before = net.log.length;
    const committed = net.run(p, p.step({ type: "propose", commands: [app("x")] }));
    expect(committed).toEqual([["x"]]);
    expect(net.log.slice(before).map((e) => e.message.type)).not.toContain("prepare");
  });

  it("batches queued commands into one slot and pipelines several slots", () => {
    const net = new Bench(["a0", "a1", "a2"]);
    const p = proposer("p1", 3, { maxBatch: 3, alpha: 4 });
    net.run(p, p.step({ type: "campaign" }));
    const ready = p.step({ type: "propose", commands: ["a", "b", "c", "d", "e", "f", "g"].map(app) });
    const accepts = ready.send.filter((e) => e.message.type === "accept").map((e) => (e.message as { slot: number }).slot);
    expect(new Set(accepts)).toEqual(new Set([1, 2, 3])); // three slots in flight at once
    expect(net.run(p, ready)).toEqual([["a", "b", "c"], ["d", "e", "f"], ["g"]]);
  });

  it("packs slots by bytes as well as by count, and drops withdrawn commands that are still queued", () => {
    const net = new Bench(["a0", "a1", "a2"]);
    const p = new Proposer({ id: "p", initial: makeConfig(["a0", "a1", "a2"], { alpha: 1 }), maxBatch: 100, maxBatchBytes: 99, sizeOf: (c) => (c.id.startsWith("big") ? 90 : 10) });
    net.run(p, p.step({ type: "campaign" }));
    const ready = p.step({ type: "propose", commands: ["s1", "big1", "s2", "s3", "big2", "s4"].map(app) });
    p.step({ type: "withdraw", ids: ["s4"] }); // alpha 1: only the first slot is in flight yet
    expect(net.run(p, ready)).toEqual([["s1"], ["big1"], ["s2", "s3"], ["big2"]]);
    expect(p.queued).toBe(0);
  });

  it("makes progress with one of three acceptors down and none with two", () => {
    const net = new Bench(["a0", "a1", "a2"]);
    const p = proposer("p1");
    net.down.add("a2");
    net.run(p, p.step({ type: "campaign" }));
    expect(net.run(p, p.step({ type: "propose", commands: [app("x")] }))).toEqual([["x"]]);
    net.down.add("a1");
    expect(net.run(p, p.step({ type: "propose", commands: [app("y")] }))).toEqual([]);
    net.down.clear();
    expect(net.run(p, p.step({ type: "timeout" }))).toEqual([["y"]]);
  });

  it("a new leader re-proposes accepted values and fills gaps with no-ops", () => {
    const net = new Bench(["a0", "a1", "a2"]);
    const old = proposer("old");
    net.run(old, old.step({ type: "campaign" }));
    // The old leader reaches only a0 for slots 1 and 3 (slot 2's accept is lost), then dies.
    const r1 = old.step({ type: "propose", commands: [app("x")] });
    old.step({ type: "propose", commands: [app("y")] });
    const r3 = old.step({ type: "propose", commands: [app("z")] });
    for (const env of [...r1.send, ...r3.send].filter((e) => e.to === "a0")) stepAcceptor(net.acceptors.get("a0")!.state, env.message);

    // "new" < "old" at round 1, so the first campaign is refused; it learns the ballot and wins the next.
    const fresh = proposer("new");
    expect(net.run(fresh, fresh.step({ type: "campaign" }))).toEqual([]);
    expect(fresh.role).toBe("follower");
    const committed = net.run(fresh, fresh.step({ type: "campaign" }));
    expect(fresh.ballot.round).toBe(2);
    expect(committed).toEqual([["x"], [], ["z"]]); // slot 2 was never accepted: a no-op fills it
  });

  it("lets acceptors drop the chosen prefix, and a lagging learner catches up from the snapshot", () => {
    const net = new Bench(["a0", "a1", "a2"]);
    const p = proposer("p1");
    net.run(p, p.step({ type: "campaign" }));
    for (const id of ["a", "b", "c"]) net.run(p, p.step({ type: "propose", commands: [app(id)] }));
    net.run(p, p.step({ type: "compact", through: 3, app: { count: 3 } }));
    for (const a of net.acceptors.values()) expect(a.state.accepted.size).toBe(0);
    net.run(p, p.step({ type: "propose", commands: [app("d")] }));
    net.run(p, p.step({ type: "timeout" })); // flushes the commit notice for slot 4

    const learner = proposer("late");
    const ready = learner.step({ type: "catch-up" });
    let restored: unknown = null;
    const seen: string[][] = [];
    for (const env of ready.send) {
      const reply = stepAcceptor(net.acceptors.get(env.to)!.state, env.message).reply!;
      const r = learner.step({ type: "receive", from: env.to, message: reply });
      restored ??= r.restored?.app ?? null;
      seen.push(...r.committed.map((c) => c.entry.commands.map((x) => x.id)));
    }
    expect(restored).toEqual({ count: 3 });
    expect(learner.learnedThrough).toBe(4);
    expect(seen).toEqual([["d"]]);
  });

  it("catches up page by page when the chosen entries exceed one reply's budget", () => {
    const net = new Bench(["a0", "a1", "a2"]);
    const p = proposer("p1");
    net.run(p, p.step({ type: "campaign" }));
    const ids = Array.from({ length: 12 }, (_, i) => `cmd-${i}`);
    for (const id of ids) net.run(p, p.step({ type: "propose", commands: [app(id)] }));
    net.run(p, p.step({ type: "timeout" })); // commit notices for every slot

    const learner = new Proposer({ id: "late", initial: makeConfig(["a0", "a1", "a2"], { alpha: 4 }), maxBatch: 8, maxReplyBytes: 100 });
    const seen = net.run(learner, learner.step({ type: "catch-up" }));
    expect(learner.learnedThrough).toBe(12);
    expect(seen.flat()).toEqual(ids);
    const pages = net.log.filter((e) => e.from === "late" && e.message.type === "learn");
    expect(pages.length).toBeGreaterThan(3 * 3); // several pages from each of the three acceptors
  });

  it("replaces a dead acceptor through the log, alpha slots later", () => {
    const net = new Bench(["a0", "a1", "a2"]);
    const p = proposer("p1", 3, { alpha: 2 });
    net.run(p, p.step({ type: "campaign" }));
    net.down.add("a2");
    const next = replaceAcceptor(p.latestConfig, "a2", "a3");
    net.run(p, p.step({ type: "propose", commands: [{ kind: "reconfigure", id: "r1", config: next }] }));
    expect(p.latestConfig.acceptors).toEqual(["a0", "a1", "a3"]);
    // Slot 2 is still decided by the old set (alpha = 2); from slot 3 on, by the new one.
    expect(net.run(p, p.step({ type: "propose", commands: [app("x")] }))).toEqual([["x"]]);
    net.down.add("a1"); // with a2 and a1 gone, only the new member a3 completes a quorum
    expect(net.run(p, p.step({ type: "propose", commands: [app("y")] }))).toEqual([["y"]]);
    expect(net.acceptors.get("a3")!.state.accepted.get(3)?.entry.commands[0]?.id).toBe("y");
    expect(p.config.epoch).toBe(2);
  });

  it("skips a membership change that would change alpha: the log keeps it fixed", () => {
    const net = new Bench(["a0", "a1", "a2"]);
    const p = proposer("p1", 3, { alpha: 2 });
    net.run(p, p.step({ type: "campaign" }));
    const other = { ...replaceAcceptor(p.latestConfig, "a2", "a3"), alpha: 8 };
    net.run(p, p.step({ type: "propose", commands: [{ kind: "reconfigure", id: "r1", config: other }] }));
    expect(p.latestConfig.epoch).toBe(1);
  });

  it("thrifty: each accept goes to the phase-2 quorum ranked fastest, and to the rest on the retransmit timeout", () => {
    const ids = ["a0", "a1", "a2", "a3", "a4"];
    const net = new Bench(ids);
    const p = new Proposer({ id: "p", initial: makeConfig(ids, { alpha: 4 }), maxBatch: 8, thrifty: true });
    net.run(p, p.step({ type: "campaign" }));
    expect(p.step({ type: "rank", acceptors: ["a3", "a1", "a4", "a0", "a2"] }).send).toEqual([]);
    const first = p.step({ type: "propose", commands: [app("x")] });
    const to = (ready: ProposerReady) => ready.send.filter((e) => e.message.type === "accept").map((e) => e.to);
    expect(to(first)).toEqual(["a3", "a1", "a4"]); // |Q2| = 3 of 5, fastest first
    expect(net.run(p, first)).toEqual([["x"]]);
    for (const a of ["a0", "a2"]) expect(net.acceptors.get(a)!.state.accepted.size).toBe(0);

    // One of the quorum is down: two accepts are not a quorum; the timeout widens to the others.
    net.down.add("a4");
    expect(net.run(p, p.step({ type: "propose", commands: [app("y")] }))).toEqual([]);
    expect(p.widenedSlots).toBe(0);
    const timeout = p.step({ type: "timeout" });
    expect(to(timeout).sort()).toEqual(["a0", "a2", "a4"]); // everyone that has not acked
    expect(net.run(p, timeout)).toEqual([["y"]]);
    expect(p.widenedSlots).toBe(1);

    // Acceptors the ranking does not name come after the named ones, in configuration order.
    p.step({ type: "rank", acceptors: ["a2"] });
    expect(to(p.step({ type: "propose", commands: [app("z")] }))).toEqual(["a2", "a0", "a1"]);
  });

  it("thrifty off (the default): the ranking is kept but every accept goes to the whole configuration", () => {
    const net = new Bench(["a0", "a1", "a2"]);
    const p = proposer("p");
    net.run(p, p.step({ type: "campaign" }));
    p.step({ type: "rank", acceptors: ["a2", "a1", "a0"] });
    expect(p.ranking).toEqual(["a2", "a1", "a0"]);
    const ready = p.step({ type: "propose", commands: [app("x")] });
    expect(ready.send.map((e) => e.to)).toEqual(["a0", "a1", "a2"]);
  });

  it("thrifty: an acceptor left out of a slot never marks it chosen with the value it holds from an older ballot; learners get the chosen one", () => {
    const net = new Bench(["a0", "a1", "a2"]);
    // An old leader's value reaches a0 only, in slot 1.
    const old = proposer("old");
    net.run(old, old.step({ type: "campaign" }));
    const stale = old.step({ type: "propose", commands: [app("stale")] });
    for (const env of stale.send.filter((e) => e.to === "a0")) stepAcceptor(net.acceptors.get("a0")!.state, env.message);

    // A thrifty leader wins Phase 1 without a0 (so without its value) and chooses "fresh" with a1, a2.
    const p = new Proposer({ id: "thrifty", initial: makeConfig(["a0", "a1", "a2"], { alpha: 4 }), maxBatch: 8, thrifty: true });
    net.down.add("a0");
    net.run(p, p.step({ type: "campaign" })); // ballot 1.thrifty is above 1.old
    expect(p.role).toBe("leader");
    p.step({ type: "rank", acceptors: ["a2", "a1", "a0"] });
    expect(net.run(p, p.step({ type: "propose", commands: [app("fresh")] }))).toEqual([["fresh"]]);
    net.down.delete("a0");
    net.run(p, p.step({ type: "timeout" })); // commit notice through slot 1 to everyone, a0 included

    const a0 = net.acceptors.get("a0")!.state.accepted.get(1)!;
    expect(a0.entry.commands[0]!.id).toBe("stale");
    expect(a0.chosen).toBe(false); // another ballot's value: the notice proves nothing about it
    for (const a of ["a1", "a2"]) expect(net.acceptors.get(a)!.state.accepted.get(1)?.chosen).toBe(true);
    const learner = proposer("late");
    expect(net.run(learner, learner.step({ type: "catch-up" }))).toEqual([["fresh"]]);
  });
});
