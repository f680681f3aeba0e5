import { type Ballot, ballotEquals } from "../core/paxos/index.ts";
import type { ToAcceptor } from "../core/paxos/index.ts";
import { PaxflowError } from "./errors.ts";

/**
 * Leader lease, kept by each acceptor in memory: while the proposer holding our promised
 * ballot was heard from within `leaseMs`, a prepare from any other proposer is refused.
 * Refusing is always safe for Paxos (it only costs liveness), and it stops a second commander
 * from stealing leadership from a live one on every request. Not durable on purpose: a
 * restarted acceptor simply grants no lease until it hears from the holder again.
 */
export class LeaseGuard {
  private heardAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly leaseMs: number,
    private readonly now: () => number,
  ) {}

  /** Throws a "lease-held" error if this batch tries to take over a live leader's ballot. */
  check(promised: Ballot, messages: readonly ToAcceptor[]): void {
    if (this.leaseMs <= 0 || promised.proposer === "") return;
    if (this.now() - this.heardAt >= this.leaseMs) return;
    const challenger = messages.find((m) => m.type === "prepare" && m.ballot.proposer !== promised.proposer);
    if (challenger) throw new PaxflowError("lease-held", `lease held by ${promised.proposer}`);
  }

  /** Call after the batch was applied: messages at the promised ballot renew the lease. */
  observe(promised: Ballot, messages: readonly ToAcceptor[]): void {
    const fromHolder = messages.some((m) => "ballot" in m && ballotEquals(m.ballot, promised));
    if (fromHolder) this.heardAt = this.now();
  }
}
