import { makeConfig } from "../../core/paxos/index.ts";
import { type CommanderOptions, CommanderDriver } from "../../runtime/commander-driver.ts";
import { MemoryAcceptors } from "../../runtime/memory-transport.ts";
import { type ConformanceCommander, consensusConformance } from "../shared/consensus-conformance.ts";

const ALPHA = 4;

consensusConformance("in-memory transport", async () => {
  const acceptors = ["acceptor-0", "acceptor-1", "acceptor-2"] as const;
  const spareAcceptor = "acceptor-3";
  const network = new MemoryAcceptors([...acceptors, spareAcceptor], { leaseMs: 100 });
  let incarnations = 0;
  // Timeouts are 5x what a quiet machine needs, so a loaded CI runner does not hit them by accident
  // (every scenario retries through them anyway; only scenario (d) waits for one on purpose).
  const start = (index: number, alpha = ALPHA, extra: Partial<CommanderOptions> = {}) =>
    new CommanderDriver({
      id: `commander-${index}#${++incarnations}`,
      initial: makeConfig(acceptors, { alpha }),
      transport: network,
      maxBatch: 8,
      retryMs: 5,
      callTimeoutMs: 1_000,
      campaignTimeoutMs: 1_500,
      commitTimeoutMs: 1_500,
      ...extra,
    });
  const drivers = [start(0), start(1)];
  const extras: CommanderDriver[] = [];
  // Looks the driver up on every call, so a crashed commander's successor is used.
  const commander = (index: 0 | 1): ConformanceCommander => ({
    submit: (commands) => drivers[index]!.submit(commands),
    reconfigure: (dead, fresh) => drivers[index]!.reconfigure(dead, fresh),
    read: async (fromSlot, limit) => drivers[index]!.read(fromSlot, limit),
    status: async () => drivers[index]!.status(),
  });
  return {
    acceptors,
    spareAcceptor,
    alpha: ALPHA,
    commander,
    setFault: async (acceptor, fault) => network.setFault(acceptor, fault),
    submitMisconfigured: async (commands) => {
      const stranger = start(2, ALPHA + 1);
      try {
        return await stranger.submit(commands);
      } finally {
        stranger.close();
      }
    },
    startAdaptive: async ({ autoReplaceAfterMs }) => {
      const driver = start(2, ALPHA, { thrifty: true, autoReplaceAfterMs });
      extras.push(driver);
      return {
        submit: (commands) => driver.submit(commands),
        reconfigure: (dead, fresh) => driver.reconfigure(dead, fresh),
        read: async (fromSlot, limit) => driver.read(fromSlot, limit),
        status: async () => driver.status(),
      };
    },
    crashCommander: async (index) => {
      drivers[index]!.close();
      drivers[index] = start(index);
    },
    dispose: async () => {
      for (const driver of [...drivers, ...extras]) driver.close();
    },
  };
});
