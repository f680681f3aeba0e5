/**
 * The job plane's core stepped directly (core/jobs/job-core.ts): no shell, no promises, no
 * clock. Each test feeds inputs and checks what comes out.
 */
import { describe, expect, it } from "vitest";
import { type Value, encode } from "../../core/codec.ts";
import { createRegistry, defineStage } from "../../core/index.ts";
import { type Decision, type NodeSpec, WORKER_NODE } from "../../core/jobs/decisions.ts";
import { builtinNodes } from "../../core/jobs/builtins.ts";
import { type Input, JobCore, LOCAL_PAUSE_MS, type Ready, type Task, WATCH_MS, nodeLane } from "../../core/jobs/job-core.ts";
import { attemptKey } from "../../core/jobs/open-attempts.ts";
import { inlinePayload } from "../../core/jobs/payload.ts";
import { createLearningScheduler } from "../../core/sched/learning-scheduler.ts";
import { BUSY_RETRY_MS, runnerWindow } from "../../core/jobs/send-windows.ts";
import { dispatchedAt, resultAt } from "../shared/decisions.ts";

const p = (value: Value) => inlinePayload(encode(value));
const work = defineStage({ name: "t/work", version: 1, caps: ["cpu"], timeoutMs: 1_000, cost: { runtimeMs: () => 50, outputBytes: () => 9 }, run: (x: number): number => x + 1 });
const registry = createRegistry({ work });
const spec = (id: string): NodeSpec => ({ id, kind: "runner", url: `http://${id}`, caps: ["cpu"], speed: { cpu: 1 }, slots: 1, latencyMs: 1, bandwidthMBps: 100 });

/** A leader "c" (the commander dispatchedAt names) with runners a and b, and job "j" accepted. */
function leader(): { core: JobCore; apply: (d: Decision) => Ready } {
  const core = new JobCore({ registry, scheduler: createLearningScheduler(), builtins: [], verify: { fraction: 0, newNodeCalls: 0 }, self: () => "c" });
  let slot = 0;
  const apply = (decision: Decision) => core.step({ type: "applied", decision, slot: ++slot, leading: true });
  for (const id of ["a", "b"]) apply({ type: "node.registered", node: spec(id), at: 0 });
  apply({ type: "job.accepted", job: "j", name: "t/job", input: p(1), at: 1 });
  return { core, apply };
}

const dispatched = (attempt: number, node: string, seq = 0) => dispatchedAt({ seq, attempt, node, stage: "t/work@1", input: 1 });
const proposals = (tasks: Task[]) => tasks.flatMap((t) => (t.kind === "propose" ? [t] : []));

describe("the job plane's core", () => {
  it("asks the shell to send a call it dispatched to a runner, with the call's deadline, and wakes by then", () => {
    const { core, apply } = leader();
    const ready = apply(dispatched(1, "a"));
    expect(ready.send).toHaveLength(1);
    expect(ready.send[0]!.decision.node).toBe("a");
    expect(ready.send[0]!.deadlineAt).toBe(core.nextDeadline());
    expect(ready.wake).toContain("j");
    // Remote calls out: the leader looks again within WATCH_MS, and never later than the deadline.
    expect(core.wakeAt(2)).toBe(Math.min(core.nextDeadline()!, 2 + WATCH_MS));
  });

  it("sends nothing for a decision another commander made, nor as a follower", () => {
    const { core } = leader();
    const other = { ...dispatched(1, "a"), by: "someone else" } as Decision;
    expect(core.step({ type: "applied", decision: other, slot: 99, leading: true }).send).toEqual([]);
    const { core: follower } = leader();
    expect(follower.step({ type: "applied", decision: dispatched(1, "a"), slot: 99, leading: false }).send).toEqual([]);
  });

  it("at a passed deadline proposes the timeout and the next attempt elsewhere, once, however often the timer fires meanwhile", () => {
    const { core, apply } = leader();
    apply(dispatched(1, "a"));
    core.takeWork(2, true); // the job's step, handed out when the job was poked
    core.step({ type: "settled", lane: "j", ok: true, now: 2 });
    const late = core.nextDeadline()! + 1;
    core.step({ type: "tick", now: late });
    const [task] = proposals(core.takeWork(late, true));
    expect(task?.lane).toBe("j");
    const types = task!.decisions.map((d) => d.type);
    expect(types).toEqual(["call.timeout", "node.unresponsive", "call.dispatched"]);
    expect(task!.decisions.at(-1)).toMatchObject({ attempt: 2, node: "b" });
    // The proposal is out: the timer firing again adds no second expiry, and does not spin.
    core.step({ type: "tick", now: late + 1 });
    expect(core.takeWork(late + 1, true)).toEqual([]);
    expect(core.wakeAt(late + 1)).toBe(late + 1 + WATCH_MS);
  });

  it("hands out one task per lane at a time: the next is decided once the last settled", () => {
    const { core, apply } = leader();
    apply(dispatched(1, "a"));
    const first = core.takeWork(2, true);
    expect(first).toEqual([{ kind: "advance", lane: "j" }]);
    // A result applied while the step is out pokes the job again: queued, not handed out yet.
    apply({ type: "call.result", job: "j", seq: 0, attempt: 1, node: "a", outcome: { ok: true, value: p(2) }, startedAt: 3, finishedAt: 4, at: 5 });
    apply({ type: "call.result", job: "j", seq: 0, attempt: 1, node: "a", outcome: { ok: true, value: p(2) }, startedAt: 3, finishedAt: 4, at: 5 });
    expect(core.takeWork(6, true)).toEqual([]);
    core.step({ type: "settled", lane: "j", ok: true, now: 6 });
    // Two pokes while busy: one step.
    expect(core.takeWork(6, true)).toEqual([{ kind: "advance", lane: "j" }]);
    core.step({ type: "settled", lane: "j", ok: true, now: 7 });
    expect(core.hasWork).toBe(false);
  });

  it("tells the scheduler that a call's other attempts out are abandoned once it has its result (a backup's loser is not work on its node)", () => {
    const abandoned: string[] = [];
    const scheduler = createLearningScheduler();
    const core = new JobCore({
      registry,
      scheduler: Object.assign(scheduler, { abandoned: (key: string) => abandoned.push(key) }),
      builtins: [],
      verify: { fraction: 0, newNodeCalls: 0 },
      self: () => "c",
    });
    let slot = 0;
    const apply = (decision: Decision) => core.step({ type: "applied", decision, slot: ++slot, leading: true });
    for (const id of ["a", "b"]) apply({ type: "node.registered", node: spec(id), at: 0 });
    apply({ type: "job.accepted", job: "j", name: "t/job", input: p(1), at: 1 });
    apply(dispatched(1, "a"));
    apply(dispatched(2, "b"));
    expect(abandoned).toEqual([]);
    apply({ type: "call.result", job: "j", seq: 0, attempt: 2, node: "b", outcome: { ok: true, value: p(2) }, startedAt: 3, finishedAt: 4, at: 5 });
    expect(abandoned).toEqual([attemptKey("j", 0, 1)]);
    // The loser's late answer changes nothing.
    apply({ type: "call.result", job: "j", seq: 0, attempt: 1, node: "a", outcome: { ok: true, value: p(2) }, startedAt: 3, finishedAt: 6, at: 7 });
    expect(abandoned).toEqual([attemptKey("j", 0, 1)]);
  });

  it("gives the shell its turn in a lane after the task out, and a follower steps no job", () => {
    const { core, apply } = leader();
    apply(dispatched(1, "a"));
    const step: Input = { type: "turn", lane: "j", token: 7 };
    core.step(step);
    expect(core.takeWork(2, false)).toEqual([{ kind: "turn", lane: "j", token: 7 }]);
  });

  it("moves calls off a removed node now, in the job's lane, and forgets its heartbeats", () => {
    const { core, apply } = leader();
    apply(dispatched(1, "a"));
    core.takeWork(2, true);
    core.step({ type: "settled", lane: "j", ok: true, now: 2 });
    expect(core.heard("a", { queue: 0, inFlight: 1, bytesIn: 0, bytesOut: 0 }, 3)).toMatchObject({ status: "up", probe: false });
    const ready = apply({ type: "node.removed", node: "a", at: 4, reason: "deleted" });
    expect(ready.log.map((l) => l.message)).toContain("node removed");
    expect(core.heartbeats.has("a")).toBe(false);
    const [task] = proposals(core.takeWork(4, true));
    expect(task?.decisions.map((d) => d.type)).toEqual(["call.timeout", "call.dispatched"]);
    expect(task?.decisions.at(-1)).toMatchObject({ node: "b" });
  });

  it("removes a runner silent past NODE_EXPIRY_MS through its node's lane", () => {
    const core = new JobCore({ registry, scheduler: createLearningScheduler(), builtins: [], nodeExpiryMs: 60_000, self: () => "c" });
    core.step({ type: "applied", decision: { type: "node.registered", node: spec("a"), at: 0 }, slot: 1, leading: true });
    core.step({ type: "elected", now: 0 });
    core.step({ type: "resumed", now: 0 });
    expect(core.wakeAt(0)).toBe(60_000);
    core.step({ type: "tick", now: 60_000 });
    const [task] = proposals(core.takeWork(60_000, true));
    expect(task?.lane).toBe(nodeLane("a"));
    expect(task?.decisions).toMatchObject([{ type: "node.removed", node: "a" }]);
  });

  it("after a takeover re-sends what a gone incarnation ran on the stage Worker, as orphaned", () => {
    const core = new JobCore({ registry, scheduler: createLearningScheduler(), builtins: [], self: () => "new" });
    let slot = 0;
    const apply = (decision: Decision) => core.step({ type: "applied", decision, slot: ++slot, leading: false });
    apply({ type: "job.accepted", job: "j", name: "t/job", input: p(1), at: 1 });
    apply(dispatchedAt({ attempt: 1, node: "worker", stage: "t/work@1", input: 1 }));
    core.step({ type: "elected", now: 10 });
    core.step({ type: "resumed", now: 10 });
    const [task] = proposals(core.takeWork(10, true));
    expect(task?.decisions[0]).toMatchObject({ type: "call.timeout", attempt: 1, ending: "orphaned" });
  });
});

describe("the job plane's core, sending to a runner no more than it holds", () => {
  // Runner "a" has 1 slot: it runs one call and queues QUEUED_CALLS_PER_SLOT more.
  const window = runnerWindow(1);
  const sentSeqs = (ready: Ready) => ready.send.map((s) => s.decision.seq);

  it("holds back the calls past a runner's window and sends the next as each ends, in dispatch order", () => {
    const { apply } = leader();
    const sent: number[] = [];
    for (let seq = 0; seq < window + 3; seq++) sent.push(...sentSeqs(apply(dispatched(1, "a", seq))));
    expect(sent).toEqual(Array.from({ length: window }, (_, i) => i));
    // A result makes room for one; a timeout too (the runner dropped that call or never had it).
    expect(sentSeqs(apply(resultAt({ seq: 0, attempt: 1, node: "a", value: 2 })))).toEqual([window]);
    expect(sentSeqs(apply({ type: "call.timeout", job: "j", seq: 1, attempt: 1, node: "a", at: 6, reason: "test", ending: "silent" }))).toEqual([window + 1]);
  });

  it("skips a waiting call whose job ended, and sends to other runners meanwhile", () => {
    const { apply } = leader();
    for (let seq = 0; seq < window + 1; seq++) apply(dispatched(1, "a", seq));
    expect(sentSeqs(apply(dispatched(1, "b", window + 1)))).toEqual([window + 1]);
    const ended = apply({ type: "job.finished", job: "j", at: 7, outcome: { ok: false, error: { kind: "cancelled", name: "Cancelled", message: "test" } } });
    expect(ended.send).toEqual([]);
  });

  it("a runner that answers full gets the call again once it has room, its window shrunk to what it held and growing by one per result", () => {
    const { core, apply } = leader();
    apply(dispatched(1, "a", 0));
    const [second] = apply(dispatched(1, "a", 1)).send;
    // The second is refused as full while the first runs: it waits, and so does a third.
    expect(core.step({ type: "send-busy", send: second!, now: 3 }).send).toEqual([]);
    expect(sentSeqs(apply(dispatched(1, "a", 2)))).toEqual([]);
    // The first's result: room for one, and the window grows by one.
    expect(sentSeqs(apply(resultAt({ seq: 0, attempt: 1, node: "a", value: 2 })))).toEqual([1, 2]);
  });

  it("sends the stage Worker no more calls at once than its slots (it has no queue: locally it shares the API's thread)", () => {
    const core = new JobCore({ registry, scheduler: createLearningScheduler(), builtins: builtinNodes(1, 1), verify: { fraction: 0, newNodeCalls: 0 }, self: () => "c" });
    let slot = 0;
    const apply = (decision: Decision) => core.step({ type: "applied", decision, slot: ++slot, leading: true });
    apply({ type: "job.accepted", job: "j", name: "t/job", input: p(1), at: 1 });
    expect(sentSeqs(apply(dispatched(1, WORKER_NODE, 0)))).toEqual([0]);
    expect(sentSeqs(apply(dispatched(1, WORKER_NODE, 1)))).toEqual([]);
    expect(sentSeqs(apply(resultAt({ seq: 0, attempt: 1, node: WORKER_NODE, value: 2 })))).toEqual([1]);
  });

  it("makes room on a node as soon as it hands back a result, a Paxos round before the result is applied, and only once", () => {
    const { core, apply } = leader();
    for (let seq = 0; seq < window + 2; seq++) apply(dispatched(1, "a", seq));
    const answered = (node: string, seq: number) => core.step({ type: "answered", attempts: [{ job: "j", seq, attempt: 1, node }] });
    // Another node's word about a's call makes no room on a.
    expect(sentSeqs(answered("b", 0))).toEqual([]);
    expect(sentSeqs(answered("a", 0))).toEqual([window]);
    // Its result applied later, and the same answer again, free nothing more.
    expect(sentSeqs(apply(resultAt({ seq: 0, attempt: 1, node: "a", value: 2 })))).toEqual([]);
    expect(sentSeqs(answered("a", 0))).toEqual([]);
    expect(sentSeqs(answered("a", 1))).toEqual([window + 1]);
  });

  it("sends the stage Worker its next call once the last one returned, not once its result is chosen", () => {
    const core = new JobCore({ registry, scheduler: createLearningScheduler(), builtins: builtinNodes(1, 1), verify: { fraction: 0, newNodeCalls: 0 }, self: () => "c" });
    let slot = 0;
    const apply = (decision: Decision) => core.step({ type: "applied", decision, slot: ++slot, leading: true });
    apply({ type: "job.accepted", job: "j", name: "t/job", input: p(1), at: 1 });
    apply(dispatched(1, WORKER_NODE, 0));
    expect(sentSeqs(apply(dispatched(1, WORKER_NODE, 1)))).toEqual([]);
    expect(sentSeqs(core.step({ type: "answered", attempts: [{ job: "j", seq: 0, attempt: 1, node: WORKER_NODE }] }))).toEqual([1]);
  });

  it("a runner that answers full with nothing of ours out gets the call again after BUSY_RETRY_MS, which the timer wakes for", () => {
    const { core, apply } = leader();
    const [only] = apply(dispatched(1, "a", 0)).send;
    expect(core.step({ type: "send-busy", send: only!, now: 10 }).send).toEqual([]);
    expect(core.wakeAt(10)).toBeLessThanOrEqual(10 + BUSY_RETRY_MS);
    expect(core.step({ type: "tick", now: 10 + BUSY_RETRY_MS - 1 }).send).toEqual([]);
    expect(sentSeqs(core.step({ type: "tick", now: 10 + BUSY_RETRY_MS }))).toEqual([0]);
  });
});

describe("the job plane's core, with the scheduler's verdicts given", () => {
  /** A learning scheduler that calls `a` failed and advises a backup of every attempt out on it. */
  function judging(verdicts: { failed: boolean; late: boolean }) {
    const real = createLearningScheduler();
    return new Proxy(real, {
      get(target, key, receiver) {
        if (key === "suspicions" && verdicts.failed) return () => [{ node: "a", phi: 20, anomaly: 0.5, verdict: "failed", reason: "silent" }];
        if (key === "stragglers" && verdicts.late) {
          return () => [{ key: "j/0/1", call: "j/0", backup: { node: "b", finishAt: 10, waitMs: 0, transferMs: 0, runMs: 1 }, reason: "late" }];
        }
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  function leaderWith(verdicts: { failed: boolean; late: boolean }) {
    const core = new JobCore({ registry, scheduler: judging(verdicts), builtins: [], verify: { fraction: 0, newNodeCalls: 0 }, self: () => "c" });
    let slot = 0;
    const apply = (decision: Decision) => core.step({ type: "applied", decision, slot: ++slot, leading: true });
    for (const id of ["a", "b"]) apply({ type: "node.registered", node: spec(id), at: 0 });
    apply({ type: "job.accepted", job: "j", name: "t/job", input: p(1), at: 1 });
    apply(dispatched(1, "a"));
    core.takeWork(2, true);
    core.step({ type: "settled", lane: "j", ok: true, now: 2 });
    return core;
  }

  it("backs up a straggler on a healthy node", () => {
    const core = leaderWith({ failed: false, late: true });
    core.step({ type: "tick", now: 3 });
    const [task] = proposals(core.takeWork(3, true));
    expect(task?.decisions).toMatchObject([{ type: "call.dispatched", attempt: 2, node: "b" }]);
  });

  it("judges no runner after a stall of its own (its timer fired LOCAL_PAUSE_MS late) until as long again has passed", () => {
    const core = leaderWith({ failed: true, late: true });
    // Stalled past LOCAL_PAUSE_MS, but short of the call's deadline (its stage's 1 s timeout).
    const stalled = LOCAL_PAUSE_MS + 100;
    core.step({ type: "tick", now: 3 + stalled, due: 3 });
    expect(proposals(core.takeWork(3 + stalled, true))).toEqual([]);
    core.step({ type: "tick", now: 3 + 2 * stalled, due: 3 + 2 * stalled });
    expect(proposals(core.takeWork(3 + 2 * stalled, true)).map((t) => t.lane)).toContain(nodeLane("a"));
  });

  it("judges as usual when its timer fired on time, or at a wake that was not its timer", () => {
    const core = leaderWith({ failed: true, late: true });
    core.step({ type: "tick", now: 3 + LOCAL_PAUSE_MS, due: 3 });
    expect(proposals(core.takeWork(3 + LOCAL_PAUSE_MS, true)).map((t) => t.lane)).toEqual([nodeLane("a")]);
  });

  it("drains a failing node instead of backing up its calls: once it is marked, they are ended and sent elsewhere", () => {
    const core = leaderWith({ failed: true, late: true });
    core.step({ type: "tick", now: 3 });
    const tasks = proposals(core.takeWork(3, true));
    expect(tasks.map((t) => [t.lane, t.decisions.map((d) => d.type)])).toEqual([[nodeLane("a"), ["node.unresponsive"]]]);
    core.step({ type: "applied", decision: tasks[0]!.decisions[0] as Decision, slot: 50, leading: true });
    core.step({ type: "settled", lane: nodeLane("a"), ok: true, now: 4 });
    const [moved] = proposals(core.takeWork(4, true));
    expect(moved?.decisions.map((d) => d.type)).toEqual(["call.timeout", "call.dispatched"]);
    expect(moved?.decisions[0]).toMatchObject({ ending: "refused" });
  });
});
