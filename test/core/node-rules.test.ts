/** The rules of who stays registered (core/jobs/nodes.ts) and how the job state applies them. */
import { describe, expect, it } from "vitest";
import { type Decision, type NodeSpec, decisionId, decodeDecision } from "../../core/jobs/decisions.ts";
import { admitRegistration, expiredNodes, newerRegistration } from "../../core/jobs/nodes.ts";
import { JobsState, type NodeRecord } from "../../core/jobs/state.ts";

const isDecision = (data: unknown) => decodeDecision(data) !== null;

const spec = (id: string, slots = 1): NodeSpec => ({ id, kind: "runner", url: `http://${id}.test`, caps: ["cpu"], speed: { cpu: 1 }, slots, latencyMs: 1, bandwidthMBps: 100 });
const record = (id: string, over: Partial<NodeRecord> = {}): NodeRecord => ({ spec: spec(id), status: "up", since: 0, registeredAt: 0, dispatched: 0, ...over });

describe("registrations", () => {
  it("takes only a registration signed later than the node's current one", () => {
    expect(newerRegistration(undefined, 5)).toBe(true);
    expect(newerRegistration({ signedAt: 5 }, 6)).toBe(true);
    expect(newerRegistration({ signedAt: 5 }, 5)).toBe(false);
    expect(newerRegistration({ signedAt: 5 }, 4)).toBe(false);
    // Entries from before registrations carried their time compare as newer, either way round.
    expect(newerRegistration({}, 4)).toBe(true);
    expect(newerRegistration({ signedAt: 5 }, undefined)).toBe(true);
  });

  it("refuses a stale registration and a new node past MAX_NODES, naming why", () => {
    const current = record("a", { signedAt: 100 });
    expect(admitRegistration(spec("a"), current, 101, 5, 5)).toEqual({ ok: true, current: false });
    const stale = admitRegistration(spec("a", 2), current, 100, 1, 5);
    expect(stale).toMatchObject({ ok: false, code: "stale-registration" });
    expect(!stale.ok && stale.message).toContain('registration of "a" signed at 100 is not newer than its current one (signed at 100)');
    const full = admitRegistration(spec("b"), undefined, 1, 5, 5);
    expect(full).toMatchObject({ ok: false, code: "too-many-nodes" });
    expect(!full.ok && full.message).toContain("MAX_NODES allows (5)");
    expect(admitRegistration(spec("b"), undefined, 1, 4, 5)).toEqual({ ok: true, current: false });
  });

  it("gives two registrations of a node in one millisecond two decision ids (their signature times differ)", () => {
    const at = (signedAt: number): Decision => ({ type: "node.registered", node: spec("a"), at: 10, signedAt });
    expect(decisionId(at(100))).not.toBe(decisionId(at(200)));
    expect(decisionId(at(100))).toBe(decisionId(at(100)));
  });

  it("answers the very registration the node has (a retry after a hidden commit) as taken, with nothing to propose", () => {
    const current = record("a", { signedAt: 100 });
    expect(admitRegistration(spec("a"), current, 100, 5, 5)).toEqual({ ok: true, current: true });
    // The log may hand the spec back with its fields in another order: the same registration still.
    const reordered = Object.fromEntries(Object.entries(spec("a")).reverse()) as unknown as NodeSpec;
    expect(admitRegistration(reordered, current, 100, 5, 5)).toEqual({ ok: true, current: true });
    // The same time with another spec is a different registration: stale.
    expect(admitRegistration(spec("a", 3), current, 100, 5, 5)).toMatchObject({ ok: false, code: "stale-registration" });
  });

  it("applies the same rule to the log: a stale node.registered changes nothing, on every replica", () => {
    const state = new JobsState();
    expect(state.apply({ type: "node.registered", node: spec("a", 1), at: 10, signedAt: 100 })).toEqual({ effect: "node", node: "a" });
    expect(state.apply({ type: "node.registered", node: spec("a", 9), at: 20, signedAt: 90 })).toEqual({ effect: "none" });
    expect(state.apply({ type: "node.registered", node: spec("a", 9), at: 20, signedAt: 100 })).toEqual({ effect: "none" });
    expect(state.node("a")).toMatchObject({ spec: { slots: 1 }, signedAt: 100, since: 10 });
    expect(state.counters.staleDecisions).toBe(2);
    state.apply({ type: "node.registered", node: spec("a", 3), at: 30, signedAt: 101 });
    expect(state.node("a")).toMatchObject({ spec: { slots: 3 }, signedAt: 101, since: 30, registeredAt: 10 });
    // A snapshot keeps the time, so a commander rebuilt from it refuses the same replays.
    const rebuilt = new JobsState();
    rebuilt.restore(JSON.parse(JSON.stringify(state.snapshot())));
    expect(rebuilt.apply({ type: "node.registered", node: spec("a", 9), at: 40, signedAt: 101 })).toEqual({ effect: "none" });
  });

  it("keeps a quarantine through a newer registration, and records its time", () => {
    const state = new JobsState();
    state.apply({ type: "node.registered", node: spec("q"), at: 1, signedAt: 1 });
    state.apply({ type: "node.quarantined", node: "q", at: 2, reason: "lied" });
    state.apply({ type: "node.registered", node: spec("q", 4), at: 3, signedAt: 2 });
    expect(state.node("q")).toMatchObject({ status: "quarantined", signedAt: 2, spec: { slots: 4 } });
  });
});

describe("node.removed", () => {
  it("drops the node; removing an unknown node is stale", () => {
    const state = new JobsState();
    state.apply({ type: "node.registered", node: spec("a"), at: 1, signedAt: 1 });
    const removed: Decision = { type: "node.removed", node: "a", at: 5, reason: "deleted by token \"ops\"" };
    expect(isDecision(removed)).toBe(true);
    expect(decisionId(removed)).toBe("node/a/removed@5");
    expect(state.apply(removed)).toEqual({ effect: "node", node: "a" });
    expect(state.node("a")).toBeUndefined();
    expect(state.apply(removed)).toEqual({ effect: "none" });
    // Registering again starts afresh (a new first registration).
    state.apply({ type: "node.registered", node: spec("a"), at: 9, signedAt: 2 });
    expect(state.node("a")).toMatchObject({ registeredAt: 9, signedAt: 2 });
  });

  it("is a decision only with its shape, and node.registered's signedAt must be a number", () => {
    expect(isDecision({ type: "node.removed", node: "a", at: 5 })).toBe(false);
    expect(isDecision({ type: "node.registered", node: spec("a"), at: 1, signedAt: "yesterday" })).toBe(false);
    expect(isDecision({ type: "node.registered", node: spec("a"), at: 1 })).toBe(true);
  });
});

describe("expiry", () => {
  const HOUR = 3_600_000;
  const hearing = (beats: Record<string, number>, leadingSince = 0) => (id: string) => ({ leadingSince, ...(id in beats ? { heartbeatAt: beats[id]! } : {}) });

  it("drops runners silent for the expiry, counting from their last registration, heartbeat or the leader's start", () => {
    const nodes = [record("beating", { since: 0 }), record("silent", { since: 0 }), record("late-registered", { since: 2 * HOUR }), record("quarantined", { status: "quarantined", since: 0 })];
    const { expired, nextAt } = expiredNodes(nodes, hearing({ beating: 2.5 * HOUR }), 3 * HOUR, 2 * HOUR);
    expect(expired).toEqual([{ id: "silent", silentMs: 3 * HOUR }]);
    // The next to go: late-registered at 4 h (beating's would be at 4.5 h).
    expect(nextAt).toBe(4 * HOUR);
  });

  it("gives every node the full expiry after a leader change (heartbeats went to the old leader)", () => {
    const nodes = [record("a", { since: 0 })];
    expect(expiredNodes(nodes, hearing({}, 5 * HOUR), 6 * HOUR, 2 * HOUR)).toEqual({ expired: [], nextAt: 7 * HOUR });
    expect(expiredNodes(nodes, hearing({}, 5 * HOUR), 7 * HOUR, 2 * HOUR).expired.map((e) => e.id)).toEqual(["a"]);
  });

  it("never drops a quarantined node (the verdict must outlive it), and has nothing to wake for without runners", () => {
    expect(expiredNodes([record("q", { status: "quarantined" })], hearing({}), 100 * HOUR, HOUR)).toEqual({ expired: [], nextAt: null });
  });
});
