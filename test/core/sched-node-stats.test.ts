/** What the scheduler measures per node: the link model and the per-node trackers. */
import { describe, expect, it } from "vitest";
import type { NodeSpec } from "../../core/jobs/decisions.ts";
import { LinkModel, NodeStatsTracker } from "../../core/sched/node-stats.ts";

const spec: NodeSpec = { id: "r1", kind: "runner", caps: ["cpu"], speed: { cpu: 1 }, slots: 2, latencyMs: 1, bandwidthMBps: 100 };

describe("LinkModel", () => {
  it("learns round trip and bandwidth from overheads of calls of varying size", () => {
    const link = new LinkModel(spec);
    expect(link.rttMs()).toBeNull();
    // 20 ms round trip, 10 MB/s = 10,000 bytes per ms.
    for (const bytes of [1_000, 50_000, 200_000, 10_000, 120_000, 80_000]) link.observe(bytes, 20 + bytes / 10_000);
    expect(link.rttMs()).toBeCloseTo(20, 6);
    expect(link.bandwidthMBps()).toBeCloseTo(10, 6);
  });

  it("learns only the round trip when sizes do not vary (the slope is not identifiable)", () => {
    const link = new LinkModel(spec);
    for (let i = 0; i < 5; i++) link.observe(1_000, 30);
    expect(link.bandwidthMBps()).toBeNull();
    // 1,000 bytes at the declared 100 MB/s take 0.01 ms; the rest is round trip.
    expect(link.rttMs()).toBeCloseTo(29.99, 6);
  });

  it("follows a link that got slower", () => {
    const link = new LinkModel(spec, { alpha: 0.2 });
    for (let i = 0; i < 20; i++) link.observe(1_000 * (1 + (i % 4)), 2);
    for (let i = 0; i < 40; i++) link.observe(1_000 * (1 + (i % 4)), 50);
    expect(link.rttMs()).toBeGreaterThan(45);
  });
});

describe("NodeStatsTracker", () => {
  it("counts reported calls beyond ours as foreign work", () => {
    const n = new NodeStatsTracker(spec, {});
    n.open.add("a");
    n.heartbeat({ queue: 3, inFlight: 2, bytesIn: 0, bytesOut: 0 }, 100);
    expect(n.foreignCalls()).toBe(4);
    n.heartbeat({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }, 50); // older than what we have: ignored
    expect(n.foreignCalls()).toBe(4);
  });

  it("reports heartbeat intervals and lateness", () => {
    const n = new NodeStatsTracker(spec, {});
    expect(n.heartbeatIntervalMs()).toBeNull();
    expect(n.heartbeatLateness(5_000)).toBe(1); // no heartbeats: neutral
    for (let t = 0; t <= 5_000; t += 500) n.heartbeat({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }, t);
    expect(n.heartbeatIntervalMs()).toBeCloseTo(500, 6);
    expect(n.heartbeatLateness(6_000)).toBeCloseTo(2, 6);
  });

  it("learns the link again when the declared link changes", () => {
    const n = new NodeStatsTracker(spec, {});
    for (let i = 0; i < 5; i++) n.link.observe(1_000, 30);
    n.respec({ ...spec, slots: 4 });
    expect(n.link.rttMs()).not.toBeNull();
    n.respec({ ...spec, latencyMs: 5 });
    expect(n.link.rttMs()).toBeNull();
  });
});
