import type { ToAcceptor, ToProposer } from "../core/paxos/index.ts";

/**
 * How a commander reaches its acceptors. One call carries a batch of messages for one
 * acceptor (one RPC, one storage transaction on the other side); replies come back in the
 * same order, null for one-way messages. A call that rejects delivered nothing we can rely on:
 * the commander's retransmit timer resends whatever is still unanswered.
 */
export interface AcceptorTransport {
  call(acceptor: string, messages: ToAcceptor[]): Promise<(ToProposer | null)[]>;
}
