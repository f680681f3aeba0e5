import type { ToAcceptor, ToProposer } from "../core/paxos/index.ts";
import type { AcceptorTransport } from "../runtime/transport.ts";
import type { Env } from "./env.ts";
import { type ShardConfig, locationHintFor } from "./shard-config.ts";

/** Reaches acceptors as Durable Objects named after the acceptor ids in the configuration. */
export class DurableAcceptorTransport implements AcceptorTransport {
  constructor(
    private readonly namespace: Env["ACCEPTOR"],
    private readonly config: ShardConfig,
  ) {}

  async call(acceptor: string, messages: ToAcceptor[], cluster: string): Promise<(ToProposer | null)[]> {
    // A fresh stub per call: a stub whose object was reset or aborted stays broken for good.
    const hint = locationHintFor(this.config, acceptor);
    const stub = this.namespace.get(this.namespace.idFromName(acceptor), hint ? { locationHint: hint } : undefined);
    return (await stub.handle(messages, cluster)) as (ToProposer | null)[];
  }
}
