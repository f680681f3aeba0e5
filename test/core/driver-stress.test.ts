import { describe, expect, it } from "vitest";
import { type Committed, makeConfig } from "../../core/paxos/index.ts";
import { CommanderDriver } from "../../runtime/commander-driver.ts";
import { errorCode } from "../../runtime/errors.ts";
import type { AcceptorFault } from "../../runtime/fault.ts";
import { MemoryAcceptors } from "../../runtime/memory-transport.ts";

const ACCEPTORS = ["a0", "a1", "a2"];

/** Small deterministic PRNG (mulberry32): the schedule of faults is reproducible per seed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Real drivers and real acceptor steps under random faults, acceptor restarts and commander
 * crashes, with clients retrying on any commander. Safety: no slot is ever seen with two
 * different entries by any commander incarnation, and replicas that applied the same prefix
 * agree on it.
 */
async function stress(seed: number) {
  const rand = random(seed);
  const network = new MemoryAcceptors(ACCEPTORS, { leaseMs: 15 });
  let incarnations = 0;
  const start = (index: number) =>
    new CommanderDriver({
      id: `c${index}#${++incarnations}`,
      initial: makeConfig(ACCEPTORS, { alpha: 3 }),
      transport: network,
      maxBatch: 4,
      retryMs: 2,
      callTimeoutMs: 50,
      campaignTimeoutMs: 40,
      commitTimeoutMs: 60,
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
  const faults: (AcceptorFault | null)[] = [null, null, { mode: "down" }, { mode: "refuse" }, { mode: "slow", delayMs: 5 }];
  const clients: Promise<unknown>[] = [];
  let next = 0;

  for (let round = 0; round < 60; round++) {
    const roll = rand();
    if (roll < 0.5) {
      const id = `cmd-${next++}`;
      const first = Math.floor(rand() * 2);
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
      network.setFault(ACCEPTORS[Math.floor(rand() * 3)]!, faults[Math.floor(rand() * faults.length)]!);
    } else if (roll < 0.85) {
      network.crash(ACCEPTORS[Math.floor(rand() * 3)]!);
    } else {
      const index = Math.floor(rand() * 2);
      record(drivers[index]!);
      drivers[index]!.close();
      drivers[index] = start(index);
    }
    drivers.forEach(record);
    await pause(Math.floor(rand() * 6));
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
        await pause(5);
      }
    }
  }
  // Both commanders learn everything, then must agree on what was applied.
  const target = Math.max(...drivers.map((d) => d.status().learnedThrough));
  for (const driver of drivers) {
    for (let attempt = 0; driver.status().learnedThrough < target; attempt++) {
      if (attempt > 200) throw new Error(`seed ${seed}: ${driver.id} never caught up to ${target}`);
      await driver.catchUp();
      await pause(5);
    }
  }
  drivers.forEach(record);
  const [s0, s1] = drivers.map((d) => d.status());
  expect(s0!.learnedThrough).toBe(s1!.learnedThrough);
  expect(s0!.digest).toBe(s1!.digest);
  expect(s0!.appliedCommands).toBe(s1!.appliedCommands);
  for (const d of drivers) d.close();
}

/** More seeds for a deeper local run: PAXFLOW_STRESS_SEEDS=200 npx vitest run --project core driver-stress */
const SEEDS = Number(process.env.PAXFLOW_STRESS_SEEDS ?? 8);

describe("CommanderDriver under random faults", () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    it(`stays safe and converges (seed ${seed})`, () => stress(seed), 30_000);
  }
});
