import { makeConfig } from "../../core/paxos/index.ts";
import { CommanderDriver } from "../../runtime/commander-driver.ts";
import { MemoryAcceptors } from "../../runtime/memory-transport.ts";
import { type ConformanceCommander, consensusConformance } from "../shared/consensus-conformance.ts";

const ALPHA = 4;

consensusConformance("in-memory transport", async () => {
  const acceptors = ["acceptor-0", "acceptor-1", "acceptor-2"] as const;
  const spareAcceptor = "acceptor-3";
  const network = new MemoryAcceptors([...acceptors, spareAcceptor], { leaseMs: 100 });
  const initial = makeConfig(acceptors, { alpha: ALPHA });
  let incarnations = 0;
  const start = (index: number) =>
    new CommanderDriver({
      id: `commander-${index}#${++incarnations}`,
      initial,
      transport: network,
      maxBatch: 8,
      retryMs: 5,
      callTimeoutMs: 200,
      campaignTimeoutMs: 300,
      commitTimeoutMs: 300,
    });
  const drivers = [start(0), start(1)];
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
    crashCommander: async (index) => {
      drivers[index]!.close();
      drivers[index] = start(index);
    },
    dispose: async () => {
      for (const driver of drivers) driver.close();
    },
  };
});
