import { describe, expect, it } from "vitest";
import { type Committed, makeConfig } from "../../core/paxos/index.ts";
import { Random } from "../../core/sim/random.ts";
import { CommanderDriver } from "../../runtime/commander-driver.ts";
import { errorCode } from "../../runtime/errors.ts";
import type { AcceptorFault } from "../../runtime/fault.ts";
import { MemoryAcceptors } from "../../runtime/memory-transport.ts";
import { VirtualTime } from "./support/virtual-time.ts";

const ACCEPTORS = ["a0", "a1", "a2"];

/**
 * Real drivers and real acceptor steps under random faults, acceptor restarts and commander
 * crashes, with clients retrying on any commander. Safety: no slot is ever seen with two
 * different entries by any commander incarnation, and replicas that applied the same prefix
 * agree on it.
 *
 * Everything runs on a virtual clock (drivers, acceptors' leases and slow faults, the test's
 * own pauses): the seed fixes the fault schedule *and* the interleaving, so a failing seed
 * replays exactly, and a loaded machine cannot make a timeout fire early. The timeouts keep
 * realistic ratios (lease 75 ms, retry 10 ms, call 250 ms, campaign 200 ms, commit 300 ms);
 * they cost no real time.
 */
async function stress(seed: number, time: VirtualTime) {
  const rand = new Random(seed);
  const pause = time.sleep;
  const network = new MemoryAcceptors(ACCEPTORS, { leaseMs: 75, now: time.now, sleep: time.sleep });
  let incarnations = 0;
  const start = (index: number) =>
    new CommanderDriver({
      id: `c${index}#${++incarnations}`,
      initial: makeConfig(ACCEPTORS, { alpha: 3 }),
      transport: network,
      timers: time.timers,
      maxBatch: 4,
      retryMs: 10,
      callTimeoutMs: 250,
      campaignTimeoutMs: 200,
      commitTimeoutMs: 300,
      compactEvery: 5,
    });
  const drivers = [start(0), start(1)];
  const seen = new Map<number, string>();
  const record = (driver: CommanderDriver) => {
    for (const { slot, entry } of driver.read(1, 10_000) as Committed[]) {
      const key = JSON.stringify(entry);
      const before = seen.get(slot);
      if (before !== undefined && before !== key) throw new Error(`seed ${seed}: slot ${slot} seen as ${before} and as ${key}`);
      seen.set(slot, key);
    }
  };
  const faults: (AcceptorFault | null)[] = [null, null, { mode: "down" }, { mode: "refuse" }, { mode: "slow", delayMs: 25 }];
  const clients: Promise<unknown>[] = [];
  let next = 0;

  for (let round = 0; round < 60; round++) {
    const roll = rand.next();
    if (roll < 0.5) {
      const id = `cmd-${next++}`;
      const first = rand.int(2);
      clients.push(
        (async () => {
          for (let attempt = 0; attempt < 4; attempt++) {
            const driver = drivers[(first + attempt) % 2]!;
            try {
              return await driver.submit([{ id, data: attempt }]);
            } catch (error) {
              if (!errorCode(error)) throw error;
            }
          }
          return null;
        })(),
      );
    } else if (roll < 0.75) {
      network.setFault(rand.pick(ACCEPTORS), rand.pick(faults));
    } else if (roll < 0.85) {
      network.crash(rand.pick(ACCEPTORS));
    } else {
      const index = rand.int(2);
      record(drivers[index]!);
      drivers[index]!.close();
      drivers[index] = start(index);
    }
    drivers.forEach(record);
    await pause(rand.int(30));
  }
  await Promise.all(clients);

  for (const a of ACCEPTORS) network.setFault(a, null);
  for (const [index, driver] of drivers.entries()) {
    for (let attempt = 0; ; attempt++) {
      try {
        await driver.submit([{ id: `final-${index}`, data: null }]);
        break;
      } catch (error) {
        if (!errorCode(error) || attempt > 200) throw error;
        await pause(25);
      }
    }
  }
  // Both commanders learn everything, then must agree on what was applied.
  const target = Math.max(...drivers.map((d) => d.status().learnedThrough));
  for (const driver of drivers) {
    for (let attempt = 0; driver.status().learnedThrough < target; attempt++) {
      if (attempt > 200) throw new Error(`seed ${seed}: ${driver.id} never caught up to ${target}`);
      await driver.catchUp();
      await pause(25);
    }
  }
  drivers.forEach(record);
  const [s0, s1] = drivers.map((d) => d.status());
  expect(s0!.learnedThrough).toBe(s1!.learnedThrough);
  expect(s0!.digest).toBe(s1!.digest);
  expect(s0!.appliedCommands).toBe(s1!.appliedCommands);
  for (const d of drivers) d.close();
  return { learnedThrough: s0!.learnedThrough, digest: s0!.digest, virtualMs: time.now() };
}

const run = (seed: number) => {
  const time = new VirtualTime();
  return time.run(stress(seed, time));
};

/** More seeds for a deeper local run: PAXFLOW_STRESS_SEEDS=200 npx vitest run --project core driver-stress */
const SEEDS = Number(process.env.PAXFLOW_STRESS_SEEDS ?? 8);

describe("CommanderDriver under random faults (virtual time)", () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    it(`stays safe and converges (seed ${seed})`, () => run(seed), 30_000);
  }

  it("replays a seed exactly: same log, same digest, same virtual duration", async () => {
    expect(await run(3)).toEqual(await run(3));
  }, 30_000);
});
