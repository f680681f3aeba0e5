import { DurableObject } from "cloudflare:workers";
import type { Committed } from "../core/paxos/index.ts";
import {
  type CommanderStatus,
  CommanderDriver,
  type Reconfigured,
  type SubmitCommand,
} from "../runtime/commander-driver.ts";
import type { CommandSlot } from "../runtime/applied-log.ts";
import { DurableAcceptorTransport } from "./acceptor-transport.ts";
import type { Env } from "./env.ts";
import {
  ShardConfigError,
  checkReplacementAcceptor,
  initialConfig,
  parseCommanderName,
  parseShardConfig,
} from "./shard-config.ts";

/** Most entries one read() returns: keeps RPC replies small. */
const MAX_READ = 1_000;

/**
 * One commander ("shard-<k>/commander-<i>"): a CommanderDriver whose acceptors are
 * Acceptor Durable Objects. It stores nothing; a new incarnation rebuilds from the acceptors.
 */
export class Commander extends DurableObject<Env> {
  private readonly driver: CommanderDriver;
  private readonly shard: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const name = ctx.id.name;
    if (!name) throw new ShardConfigError("a Commander must be addressed by name (COMMANDER.idFromName)");
    const config = parseShardConfig(env);
    const { shard } = parseCommanderName(config, name);
    this.shard = shard;
    this.driver = new CommanderDriver({
      // A fresh id per incarnation, so a restarted commander can never reuse an old ballot.
      id: `${name}#${crypto.randomUUID()}`,
      initial: initialConfig(config, shard),
      transport: new DurableAcceptorTransport(env.ACCEPTOR, config),
      maxBatch: config.maxBatch,
      retryMs: config.retryMs,
      callTimeoutMs: config.callTimeoutMs,
      campaignTimeoutMs: config.campaignTimeoutMs,
      commitTimeoutMs: config.commitTimeoutMs,
      compactEvery: config.compactEvery,
      maxCommandBytes: config.maxCommandBytes,
      maxBatchBytes: config.maxBatchBytes,
      maxPending: config.maxPending,
    });
    // Learn what was chosen before this incarnation existed; failures are retried on demand.
    void this.driver.catchUp().catch(() => undefined);
  }

  async submit(commands: SubmitCommand[]): Promise<CommandSlot[]> {
    return this.driver.submit(commands);
  }

  async reconfigure(deadAcceptor: string, freshAcceptor: string): Promise<Reconfigured> {
    return this.driver.reconfigure(deadAcceptor, checkReplacementAcceptor(this.shard, freshAcceptor));
  }

  async catchUp(): Promise<{ learnedThrough: number }> {
    return this.driver.catchUp();
  }

  async read(fromSlot = 1, limit = 100): Promise<Committed[]> {
    return this.driver.read(fromSlot, Math.min(Math.max(limit, 0), MAX_READ));
  }

  async status(): Promise<CommanderStatus> {
    return this.driver.status();
  }
}
