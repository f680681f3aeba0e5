import { env } from "cloudflare:workers";
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type AcceptorState, type Ballot, type Entry, type Snapshot, type ToAcceptor, type ToProposer, ZERO_BALLOT } from "../../core/paxos/index.ts";
import { Acceptor, type AcceptorStatus } from "../../durable-objects/acceptor.ts";
import { errorCode } from "../../runtime/errors.ts";

const ballot = (round: number, proposer = "p"): Ballot => ({ round, proposer });
const entry = (id: string): Entry => ({ commands: [{ kind: "app", id, data: { id } }] });

let unique = 0;
const freshName = () => `shard-900/acceptor-t${unique++}`;
const stubOf = (name: string) => env.ACCEPTOR.get(env.ACCEPTOR.idFromName(name));
/** The fingerprint a commander of this test cluster sends with every batch. */
const CLUSTER = "epoch=1;alpha=4;q1=2;q2=2;acceptors=test";
const handle = async (name: string, messages: ToAcceptor[], cluster = CLUSTER) =>
  (await stubOf(name).handle(messages, cluster)) as (ToProposer | null)[];
const statusOf = async (name: string) => (await stubOf(name).status()) as AcceptorStatus;

/** Promise ballot 1 and accept one value in slot 1, the way a freshly elected leader would. */
async function promiseAndAccept(name: string) {
  return handle(name, [
    { type: "prepare", ballot: ballot(1), fromSlot: 1 },
    { type: "accept", ballot: ballot(1), slot: 1, entry: entry("x"), commitThrough: 0 },
  ]);
}

/** What a new instance remembers, seen through the protocol itself: a higher prepare reports it. */
async function expectRemembered(name: string) {
  const status = await statusOf(name);
  expect(status.promised).toEqual(ballot(1));
  expect(status.acceptedCount).toBe(1);
  const [stale] = await handle(name, [{ type: "prepare", ballot: ballot(0, "z"), fromSlot: 1 }]);
  expect(stale).toMatchObject({ type: "nack", promised: ballot(1) });
  const [promise] = await handle(name, [{ type: "prepare", ballot: ballot(2), fromSlot: 1 }]);
  expect(promise).toMatchObject({ type: "promise", accepted: [[1, { ballot: ballot(1), entry: entry("x") }]] });
}

const abortOne = (name: string) =>
  runInDurableObject(stubOf(name), (_instance, state) => state.abort("restart injected by test")).catch(() => undefined);

describe("Acceptor Durable Object", () => {
  it("answers prepare and accept", async () => {
    const name = freshName();
    const replies = await promiseAndAccept(name);
    expect(replies).toEqual([
      { type: "promise", ballot: ballot(1), fromSlot: 1, accepted: [], chosen: { snapshot: null, entries: [], next: null } },
      { type: "accepted", ballot: ballot(1), slot: 1 },
    ]);
  });

  it("keeps its promise and accepted values across ctx.abort()", async () => {
    const name = freshName();
    await promiseAndAccept(name);
    await abortOne(name);
    await expectRemembered(name);
  });

  it("keeps its promise and accepted values across abortAllDurableObjects()", async () => {
    const name = freshName();
    await promiseAndAccept(name);
    await abortAllDurableObjects();
    await expectRemembered(name);
  });

  it("marks slots chosen on commit and reports the chosen prefix", async () => {
    const name = freshName();
    await promiseAndAccept(name);
    await handle(name, [{ type: "commit", ballot: ballot(1), through: 1 }]);
    await abortOne(name);
    expect((await statusOf(name)).chosenThrough).toBe(1);
    const [learned] = await handle(name, [{ type: "learn", fromSlot: 1 }]);
    expect(learned).toEqual({ type: "learned", chosen: { snapshot: null, entries: [[1, entry("x")]], next: null } });
  });

  it("stores a snapshot larger than one SQLite value, and reads it back after a restart", async () => {
    const name = freshName();
    await promiseAndAccept(name);
    await handle(name, [{ type: "commit", ballot: ballot(1), through: 1 }]);
    // 5 MB of application state: more than twice SQLite's 2 MB limit per value.
    const app = { blob: "\u00e9x".repeat(1_700_000), marker: "end" };
    const snapshot = { through: 1, configs: [], app } as unknown as Snapshot;
    await handle(name, [{ type: "compact", snapshot }]);
    await abortOne(name);
    const [learned] = await handle(name, [{ type: "learn", fromSlot: 1 }]);
    const got = (learned as { chosen: { snapshot: Snapshot } }).chosen.snapshot;
    expect(got.through).toBe(1);
    expect((got.app as typeof app).marker).toBe("end");
    expect((got.app as typeof app).blob.length).toBe(app.blob.length);
  });

  it("enacts injected faults, and they survive a restart", async () => {
    const name = freshName();
    await stubOf(name).setFault({ mode: "down" });
    await abortOne(name);
    expect((await statusOf(name)).fault).toEqual({ mode: "down" });
    expect(errorCode(await promiseAndAccept(name).catch((e: unknown) => e))).toBe("acceptor-down");
    await stubOf(name).setFault({ mode: "refuse" });
    expect(errorCode(await promiseAndAccept(name).catch((e: unknown) => e))).toBe("acceptor-refusing");
    await stubOf(name).setFault(null);
    expect((await promiseAndAccept(name))[1]).toMatchObject({ type: "accepted" });
  });

  it("refuses setFault unless PAXFLOW_CHAOS is 1", async () => {
    const name = freshName();
    const error = await runInDurableObject(stubOf(name), async (_instance, state) => {
      const production = new Acceptor(state, { ...env, PAXFLOW_CHAOS: "0" });
      return production.setFault({ mode: "down" }).catch((e: unknown) => e);
    });
    expect(errorCode(error)).toBe("chaos-disabled");
    expect(String(error)).toContain("PAXFLOW_CHAOS");
    expect((await statusOf(name)).fault).toBeNull();
  });

  it("refuses a prepare from another proposer while the leader's lease is live", async () => {
    const name = freshName();
    const outcome = await runInDurableObject(stubOf(name), async (_instance, state) => {
      // A lease far longer than the test, so the refusal does not depend on timing.
      const acceptor = new Acceptor(state, { ...env, LEASE_MS: "3600000" });
      await acceptor.handle([{ type: "prepare", ballot: ballot(1, "leader"), fromSlot: 1 }], CLUSTER);
      const rival = await acceptor
        .handle([{ type: "prepare", ballot: ballot(2, "rival"), fromSlot: 1 }], CLUSTER)
        .catch((e: unknown) => e);
      const again = await acceptor.handle([{ type: "prepare", ballot: ballot(3, "leader"), fromSlot: 1 }], CLUSTER);
      return { rival, again };
    });
    expect(errorCode(outcome.rival)).toBe("lease-held");
    expect(String(outcome.rival)).toContain("lease held by leader");
    expect(outcome.again[0]).toMatchObject({ type: "promise", ballot: ballot(3, "leader") });
  });

  it("stores the first cluster fingerprint durably and refuses batches with another, naming both", async () => {
    const name = freshName();
    await promiseAndAccept(name);
    await abortOne(name);
    expect((await statusOf(name)).cluster).toBe(CLUSTER);
    const other = "epoch=1;alpha=5;q1=2;q2=2;acceptors=test";
    const error = await handle(name, [{ type: "prepare", ballot: ballot(9, "stranger"), fromSlot: 1 }], other).catch((e: unknown) => e);
    expect(errorCode(error)).toBe("cluster-mismatch");
    expect(String(error)).toContain(CLUSTER);
    expect(String(error)).toContain(other);
    expect(String(error)).toContain("ACCEPTORS_PER_SHARD, PHASE1_QUORUM, PHASE2_QUORUM and ALPHA must not change on a live cluster");
    // The refused prepare left no trace, and the rightful cluster carries on.
    expect((await statusOf(name)).promised).toEqual(ballot(1));
    await expectRemembered(name);
  });

  it("refuses a malformed batch whole: earlier messages in it change nothing, in memory or on disk", async () => {
    const name = freshName();
    const garbage = [{ type: "prepare", ballot: ballot(5), fromSlot: 1 }, { type: "bogus" }] as unknown as ToAcceptor[];
    const error = await handle(name, garbage).catch((e: unknown) => e);
    expect(errorCode(error)).toBe("invalid-batch");
    expect(String(error)).toMatch(/message 1 .*unknown type "bogus"/);
    expect((await statusOf(name)).promised).toEqual(ZERO_BALLOT);
    const notABatch = await handle(name, "not a batch" as unknown as ToAcceptor[]).catch((e: unknown) => e);
    expect(errorCode(notABatch)).toBe("invalid-batch");
    const [promise] = await handle(name, [{ type: "prepare", ballot: ballot(3), fromSlot: 1 }]);
    expect(promise).toMatchObject({ type: "promise", ballot: ballot(3) });
  });

  it("aborts when stepping fails mid-batch, so memory never holds state the disk lacks", async () => {
    const name = freshName();
    await handle(name, [{ type: "learn", fromSlot: 1 }]);
    const outcome = await runInDurableObject(stubOf(name), async (instance) => {
      // Make the second message's step throw after the first one changed the in-memory promise.
      const state = (instance as unknown as { state: AcceptorState }).state;
      state.accepted.set = () => {
        throw new Error("injected step failure");
      };
      return instance
        .handle(
          [
            { type: "prepare", ballot: ballot(5), fromSlot: 1 },
            { type: "accept", ballot: ballot(5), slot: 1, entry: entry("x"), commitThrough: 0 },
          ],
          CLUSTER,
        )
        .then(
          () => "answered",
          (e: unknown) => String(e),
        );
    }).catch((e: unknown) => String(e));
    expect(outcome).not.toBe("answered");
    // Whatever instance answers now must not remember ballot 5: it was never written.
    expect((await statusOf(name)).promised).toEqual(ZERO_BALLOT);
    const [promise] = await handle(name, [{ type: "prepare", ballot: ballot(3), fromSlot: 1 }]);
    expect(promise).toMatchObject({ type: "promise", ballot: ballot(3), accepted: [] });
  });
});
