import type { ToAcceptor, ToProposer } from "../core/paxos/index.ts";

/**
 * How a commander reaches its acceptors. One call carries a batch of messages for one
 * acceptor (one RPC, one storage transaction on the other side); replies come back in the
 * same order, null for one-way messages. A call that rejects delivered nothing we can rely on:
 * the commander's retransmit timer resends whatever is still unanswered.
 *
 * `cluster` is the fingerprint of the commander's bootstrap configuration
 * (`configFingerprint(initial)`): an acceptor stores the first one it sees and refuses batches
 * with another ("cluster-mismatch"), so commanders that disagree on the bootstrap acceptor set,
 * quorums or alpha can never both drive the same log.
 */
export interface AcceptorTransport {
  call(acceptor: string, messages: ToAcceptor[], cluster: string): Promise<(ToProposer | null)[]>;
}
