/**
 * One consensus suite, several implementations (the model is hono's router tests): every
 * cluster factory must pass the same scenarios, whether its acceptors are in-memory objects
 * or Durable Objects in workerd.
 */
import { describe, expect, it } from "vitest";
import { type Ballot, type Committed, compareBallots } from "../../core/paxos/index.ts";
import type { CommandSlot } from "../../runtime/applied-log.ts";
import type { CommanderStatus, Reconfigured, SubmitCommand } from "../../runtime/commander-driver.ts";
import { errorCode, retryTransient } from "../../runtime/errors.ts";
import type { AcceptorFault } from "../../runtime/fault.ts";

export interface ConformanceCommander {
  submit(commands: SubmitCommand[]): Promise<CommandSlot[]>;
  reconfigure(deadAcceptor: string, freshAcceptor: string): Promise<Reconfigured>;
  read(fromSlot: number, limit: number): Promise<Committed[]>;
  status(): Promise<CommanderStatus>;
}

/** Three acceptors and two commanders of one shard, fresh for every test. */
export interface ConformanceCluster {
  readonly acceptors: readonly [string, string, string];
  /** An acceptor that exists but is in no configuration yet (the replacement in (f)). */
  readonly spareAcceptor: string;
  /** The commanders' alpha: a reconfiguration governs from alpha slots after its own. */
  readonly alpha: number;
  /** The current incarnation of commander i (a new one after crashCommander). */
  commander(index: 0 | 1): ConformanceCommander;
  setFault(acceptor: string, fault: AcceptorFault | null): Promise<void>;
  /** Kills commander i with everything in its memory; the next commander(i) is a new incarnation. */
  crashCommander(index: 0 | 1): Promise<void>;
  /**
   * Starts one more commander of this shard with thrifty phase 2 on and auto-replace after
   * `autoReplaceAfterMs` (THRIFTY=1, AUTO_REPLACE_AFTER_MS), which commanders 0 and 1 do not
   * have; dispose() stops it.
   */
  startAdaptive(options: { readonly autoReplaceAfterMs: number }): Promise<ConformanceCommander>;
  /**
   * Starts a commander of this shard whose bootstrap configuration has alpha + 1 (what a changed
   * ALPHA var does to a commander on a live cluster), submits `commands` through it, stops it.
   */
  submitMisconfigured(commands: SubmitCommand[]): Promise<CommandSlot[]>;
  dispose(): Promise<void>;
}

/** Errors after which a client retries (the same id keeps the retry from committing twice). */
const RETRIES = 200;
const RETRY_PAUSE_MS = 25;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const retrying = <T>(attempt: () => Promise<T>): Promise<T> => retryTransient(attempt, { attempts: RETRIES, pauseMs: RETRY_PAUSE_MS });

const submitOne = async (commander: ConformanceCommander, id: string): Promise<number> =>
  (await retrying(() => commander.submit([{ id, data: { payload: id } }])))[0]!.slot;

const appIds = (entries: readonly Committed[]): string[] =>
  entries.flatMap((e) => e.entry.commands.filter((c) => c.kind === "app").map((c) => c.id));

const ballotOf = async (commander: ConformanceCommander): Promise<Ballot> => (await commander.status()).ballot;

export function consensusConformance(implementation: string, makeCluster: () => Promise<ConformanceCluster>): void {
  const withCluster = (run: (cluster: ConformanceCluster) => Promise<void>) => async () => {
    const cluster = await makeCluster();
    try {
      await run(cluster);
    } finally {
      await cluster.dispose();
    }
  };

  describe(`consensus conformance: ${implementation}`, () => {
    it(
      "(a) sequential submits commit in order, in increasing slots",
      withCluster(async (cluster) => {
        const c0 = cluster.commander(0);
        const ids = Array.from({ length: 6 }, (_, i) => `seq-${i}`);
        const slots: number[] = [];
        for (const id of ids) slots.push(await submitOne(c0, id));
        for (let i = 1; i < slots.length; i++) expect(slots[i]).toBeGreaterThan(slots[i - 1]!);
        expect(appIds(await c0.read(1, 100))).toEqual(ids);
        // Resubmitting an applied id is answered from the dedupe window, not chosen again.
        expect(await submitOne(c0, "seq-2")).toBe(slots[2]);
        expect(appIds(await c0.read(1, 100))).toEqual(ids);
      }),
    );

    it(
      "(b) 32 concurrent submits all commit, batched into fewer slots than commands",
      withCluster(async (cluster) => {
        const c0 = cluster.commander(0);
        const ids = Array.from({ length: 32 }, (_, i) => `burst-${i}`);
        const slots = await Promise.all(ids.map((id) => submitOne(c0, id)));
        expect(new Set(slots).size).toBeLessThan(ids.length);
        const committed = appIds(await c0.read(1, 100));
        expect([...committed].sort()).toEqual([...ids].sort());
      }),
    );

    describe("(c) one of three acceptors faulty: progress continues", () => {
      const faults: [string, AcceptorFault][] = [
        ["down", { mode: "down" }],
        ["refusing", { mode: "refuse" }],
        ["slow", { mode: "slow", delayMs: 40 }],
      ];
      for (const [label, fault] of faults) {
        it(
          label,
          withCluster(async (cluster) => {
            const c0 = cluster.commander(0);
            await submitOne(c0, "before");
            await cluster.setFault(cluster.acceptors[2], fault);
            const slots: number[] = [];
            for (let i = 0; i < 5; i++) slots.push(await submitOne(c0, `during-${i}`));
            expect(slots).toEqual([...slots].sort((a, b) => a - b));
            expect(appIds(await c0.read(1, 100))).toEqual(["before", ...Array.from({ length: 5 }, (_, i) => `during-${i}`)]);
            // A fresh leader can also be elected with one acceptor out.
            await cluster.crashCommander(0);
            await submitOne(cluster.commander(1), "after-takeover");
            expect(appIds(await cluster.commander(1).read(1, 100))).toContain("after-takeover");
          }),
        );
      }
    });

    it(
      "(d) two of three down: no progress and a clear error; afterwards progress resumes and history is intact",
      withCluster(async (cluster) => {
        const c0 = cluster.commander(0);
        for (let i = 0; i < 3; i++) await submitOne(c0, `kept-${i}`);
        const before = await c0.read(1, 100);

        await cluster.setFault(cluster.acceptors[1], { mode: "down" });
        await cluster.setFault(cluster.acceptors[2], { mode: "down" });
        const stalled = await c0.submit([{ id: "stalled", data: null }]).then(
          () => null,
          (error: unknown) => error,
        );
        expect(stalled).toBeInstanceOf(Error);
        expect(["commit-timeout", "not-leader"]).toContain(errorCode(stalled));
        expect((await c0.read(1, 100)).slice(0, before.length)).toEqual(before);
        expect(appIds(await c0.read(1, 100))).not.toContain("stalled");

        await cluster.setFault(cluster.acceptors[1], null);
        await cluster.setFault(cluster.acceptors[2], null);
        await submitOne(c0, "resumed");
        const after = await c0.read(1, 100);
        expect(after.slice(0, before.length)).toEqual(before);
        const ids = appIds(after);
        expect(ids).toContain("resumed");
        // The stalled command may have committed after recovery (it was still pending), but once at most.
        expect(ids.filter((id) => id === "stalled").length).toBeLessThanOrEqual(1);
      }),
    );

    it(
      "(e) commander crash mid-stream: the other takes over with a higher ballot; chosen entries stay put",
      withCluster(async (cluster) => {
        const c0 = cluster.commander(0);
        for (let i = 0; i < 4; i++) await submitOne(c0, `pre-${i}`);
        // More in flight when the crash hits: they may or may not be chosen, never twice.
        const inFlight = Array.from({ length: 4 }, (_, i) => c0.submit([{ id: `mid-${i}`, data: i }]).catch(() => null));
        const oldBallot = await ballotOf(c0);
        const chosenBefore = await c0.read(1, 100);
        await cluster.crashCommander(0);
        await Promise.all(inFlight);

        const c1 = cluster.commander(1);
        await submitOne(c1, "post-crash");
        expect(compareBallots(await ballotOf(c1), oldBallot)).toBeGreaterThan(0);
        const chosenAfter = await c1.read(1, 100);
        for (const entry of chosenBefore) {
          expect(chosenAfter.find((e) => e.slot === entry.slot)).toEqual(entry);
        }
        const ids = appIds(chosenAfter);
        expect(ids).toContain("post-crash");
        for (const id of ids) expect(ids.filter((x) => x === id).length).toBe(1);
      }),
    );

    it(
      "(f) a dead acceptor is replaced by reconfiguration and commits continue with the new set",
      withCluster(async (cluster) => {
        const c0 = cluster.commander(0);
        const [a0, a1, dead] = cluster.acceptors;
        const fresh = cluster.spareAcceptor;
        await submitOne(c0, "f-0");
        await cluster.setFault(dead, { mode: "down" });
        const change = await retrying(() => c0.reconfigure(dead, fresh));
        expect(change.config.acceptors).toEqual([a0, a1, fresh]);
        expect(change.fromSlot).toBe(change.slot + cluster.alpha);

        // Commit past the slot where the new configuration takes over.
        let last = change.slot;
        for (let i = 0; last < change.fromSlot + 1; i++) last = await submitOne(c0, `f-fill-${i}`);
        expect((await c0.status()).config.acceptors).toEqual([a0, a1, fresh]);

        // Only the new set can decide now: with a0 also down, a1 + the fresh acceptor form a majority.
        await cluster.setFault(a0, { mode: "down" });
        const slot = await submitOne(c0, "f-new-set");
        expect(slot).toBeGreaterThan(change.fromSlot);
        await cluster.setFault(a0, null);
        expect(appIds(await c0.read(1, 200))).toContain("f-new-set");
      }),
    );

    it(
      "(h) an acceptor down for good is replaced by the leader on its own; commits continue and status shows the new configuration",
      withCluster(async (cluster) => {
        const adaptive = await cluster.startAdaptive({ autoReplaceAfterMs: 100 });
        const [dead, a1, a2] = cluster.acceptors;
        const fresh = cluster.spareAcceptor; // the next unused acceptor name of the shard
        await submitOne(adaptive, "h-0");
        await cluster.setFault(dead, { mode: "down" });
        // Commits go on while the detector watches (thrifty phase 2 widens past the dead acceptor,
        // then ranks it last); the leader replaces it once every call to it failed for the window.
        const ids = ["h-0"];
        const replaced = async () => (await adaptive.status()).autoReplace.replacements.some((r) => r.outcome === "done");
        for (let i = 0; !(await replaced()); i++) {
          if (i >= RETRIES) throw new Error(`the leader never replaced ${dead}: ${JSON.stringify((await adaptive.status()).autoReplace)}`);
          ids.push(`h-during-${i}`);
          await submitOne(adaptive, ids.at(-1)!);
          await pause(RETRY_PAUSE_MS);
        }
        const status = await adaptive.status();
        expect(status.latestConfig.acceptors).toEqual([fresh, a1, a2]);
        expect(status.autoReplace.replacements).toEqual([expect.objectContaining({ dead, fresh, outcome: "done", error: null })]);
        const { slot, fromSlot } = status.autoReplace.replacements[0]!;
        expect(fromSlot).toBe(slot! + cluster.alpha);

        // Commit past the slot where the new configuration takes over.
        let last = 0;
        for (let i = 0; last <= fromSlot!; i++) {
          ids.push(`h-after-${i}`);
          last = await submitOne(adaptive, ids.at(-1)!);
        }
        const after = await adaptive.status();
        expect(after.config).toMatchObject({ epoch: 2, acceptors: [fresh, a1, a2] });
        expect(after.autoReplace.replacements).toHaveLength(1); // one change, nothing else replaced
        expect(appIds(await adaptive.read(1, 500))).toEqual(ids);
      }),
    );

    it(
      "(g) a commander with another bootstrap configuration is refused at once with cluster-mismatch; the shard is unharmed",
      withCluster(async (cluster) => {
        const c0 = cluster.commander(0);
        await submitOne(c0, "g-0");
        const error = await cluster.submitMisconfigured([{ id: "g-stranger", data: null }]).then(
          () => null,
          (e: unknown) => e,
        );
        // Not a timeout or a lease refusal: the acceptors name the mismatch itself.
        expect(errorCode(error)).toBe("cluster-mismatch");
        const message = String(error);
        expect(message).toContain(`alpha=${cluster.alpha};`);
        expect(message).toContain(`alpha=${cluster.alpha + 1};`);
        expect(message).toContain("ACCEPTORS_PER_SHARD, PHASE1_QUORUM, PHASE2_QUORUM and ALPHA must not change on a live cluster");

        await submitOne(c0, "g-1");
        expect(appIds(await c0.read(1, 100))).toEqual(["g-0", "g-1"]);
      }),
    );
  });
}
