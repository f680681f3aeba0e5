import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import type { Committed } from "../../core/paxos/index.ts";
import type { CommandSlot } from "../../runtime/applied-log.ts";
import type { CommanderStatus, Reconfigured } from "../../runtime/commander-driver.ts";
import { Commander } from "../../durable-objects/commander.ts";
import { registry } from "../shared/registry.ts";
import { type ConformanceCommander, consensusConformance } from "../shared/consensus-conformance.ts";

/** Each test gets its own shard number, hence its own acceptors and commanders. */
let nextShard = 100;

consensusConformance("Durable Objects in workerd", async () => {
  const shard = nextShard++;
  const acceptor = (j: number) => `shard-${shard}/acceptor-${j}`;
  // A fresh stub per call: the stub of an aborted object stays broken.
  const commanderStub = (index: number) => env.COMMANDER.get(env.COMMANDER.idFromName(`shard-${shard}/commander-${index}`));
  let adaptiveHost: ReturnType<typeof commanderStub> | null = null;
  const commander = (index: 0 | 1): ConformanceCommander => ({
    submit: async (commands) => (await commanderStub(index).submit(commands)) as CommandSlot[],
    reconfigure: async (dead, fresh) => (await commanderStub(index).reconfigure(dead, fresh)) as Reconfigured,
    read: async (fromSlot, limit) => (await commanderStub(index).read(fromSlot, limit)) as Committed[],
    status: async () => (await commanderStub(index).status()) as CommanderStatus,
  });
  return {
    acceptors: [acceptor(0), acceptor(1), acceptor(2)],
    spareAcceptor: acceptor(3),
    alpha: Number(env.ALPHA),
    commander,
    setFault: (name, fault) => env.ACCEPTOR.get(env.ACCEPTOR.idFromName(name)).setFault(fault),
    // A second Commander inside commander-1's object, built from [vars] with ALPHA changed, as
    // a redeploy with a new ALPHA would build it.
    submitMisconfigured: (commands) =>
      runInDurableObject(commanderStub(1), async (_instance, state) => {
        const stranger = new Commander(state, { ...env, ALPHA: String(Number(env.ALPHA) + 1) }, registry);
        return stranger.submit(commands);
      }),
    // A third Commander, built from [vars] with THRIFTY and AUTO_REPLACE_AFTER_MS set, living
    // inside commander-1's object (so its stubs and timers belong to that object); every call
    // runs there too. dispose() aborts the object, which stops it.
    startAdaptive: async ({ autoReplaceAfterMs }) => {
      const host = commanderStub(1);
      adaptiveHost = host;
      const adaptive = await runInDurableObject(
        host,
        async (_instance, state) => new Commander(state, { ...env, THRIFTY: "1", AUTO_REPLACE_AFTER_MS: String(autoReplaceAfterMs) }, registry),
      );
      const inHost = <T>(work: (c: Commander) => Promise<T>) => runInDurableObject(commanderStub(1), () => work(adaptive));
      return {
        submit: (commands) => inHost((c) => c.submit(commands)),
        reconfigure: (dead, fresh) => inHost((c) => c.reconfigure(dead, fresh)),
        read: (fromSlot, limit) => inHost((c) => c.read(fromSlot, limit)),
        status: () => inHost((c) => c.status()),
      };
    },
    crashCommander: async (index) => {
      await runInDurableObject(commanderStub(index), (_instance, state) => state.abort("crash injected by test")).catch(
        () => undefined,
      );
    },
    dispose: async () => {
      if (adaptiveHost) await runInDurableObject(adaptiveHost, (_instance, state) => state.abort("test over")).catch(() => undefined);
    },
  };
});
