/**
 * Deliberately broken protocol variants. The simulator must find a safety violation in each;
 * if it ever stops doing so, the checker has gone blind.
 */
import { type AcceptorWrite, type InFlight, Proposer, applyWrite, compareBallots, maxBallot, stepAcceptor } from "../paxos/index.ts";
import { CORRECT, type SimVariant } from "./consensus.ts";

/** An acceptor whose disk loses its promises: after a restart it accepts ballots it refused. */
export const FORGETFUL_ACCEPTOR: SimVariant = {
  name: "forgetful-acceptor",
  survivesCrash: (write) => write.kind !== "promise",
};

/** An acceptor that accepts a Phase 2 message below the ballot it promised. */
export const LOW_BALLOT_ACCEPTOR: SimVariant = {
  name: "accepts-lower-ballot",
  acceptorStep: (state, message) => {
    if (message.type !== "accept" || compareBallots(message.ballot, state.promised) >= 0) return stepAcceptor(state, message);
    const promised = state.promised;
    state.promised = message.ballot;
    const result = stepAcceptor(state, message);
    state.promised = maxBallot(promised, state.promised);
    return result;
  },
};

/** A new leader that ignores the values Phase 1 reported and proposes its own. */
export const NO_REPROPOSE_LEADER: SimVariant = {
  name: "leader-skips-reproposal",
  seenPromise: (promise) => ({ ...promise, accepted: [] }),
};

/** An acceptor that takes any commit notice as proof, whatever ballot its own value has. */
export const COMMIT_IGNORES_BALLOT: SimVariant = {
  name: "commit-ignores-ballot",
  acceptorStep: (state, message) => {
    if (message.type !== "commit") return stepAcceptor(state, message);
    const slots = [...state.accepted].filter(([slot, v]) => slot <= message.through && !v.chosen).map(([slot]) => slot);
    const writes: AcceptorWrite[] = slots.length > 0 ? [{ kind: "chosen", slots }] : [];
    for (const w of writes) applyWrite(state, w);
    return { writes, reply: null };
  },
};

/**
 * One commander started with another alpha than the rest (a redeploy with a changed ALPHA):
 * they disagree on which acceptors decide the slots after a membership change. The Acceptor
 * Durable Object refuses such a commander by the bootstrap configuration's fingerprint.
 */
export const MIXED_ALPHA: SimVariant = {
  name: "mixed-alpha",
  bootstrapFor: (proposer, shared) => (proposer === 0 ? { ...shared, alpha: 1 } : shared),
};

/** A thrifty leader that counts a slot chosen one accept short of the phase-2 quorum. */
class ShortQuorumProposer extends Proposer {
  protected override phase2Reached(flight: InFlight): boolean {
    return flight.acks.size >= flight.config.phase2Quorum - 1;
  }
}

export const THRIFTY_SHORT_QUORUM: SimVariant = {
  name: "thrifty-short-quorum",
  makeProposer: (options) => new ShortQuorumProposer({ ...options, thrifty: true }),
};

/**
 * A thrifty leader that never widens: the retransmit timer resends only to the quorum it first
 * chose. Safe, but stuck for good when one of those acceptors is; the progress probe sees it.
 */
class NeverWidensProposer extends Proposer {
  protected override retransmitTargets(flight: InFlight): readonly string[] {
    return flight.targets;
  }
}

export const THRIFTY_NEVER_WIDENS: SimVariant = {
  name: "thrifty-never-widens",
  makeProposer: (options) => new NeverWidensProposer({ ...options, thrifty: true }),
};

export const VARIANTS: Readonly<Record<string, SimVariant>> = {
  [CORRECT.name]: CORRECT,
  [FORGETFUL_ACCEPTOR.name]: FORGETFUL_ACCEPTOR,
  [LOW_BALLOT_ACCEPTOR.name]: LOW_BALLOT_ACCEPTOR,
  [NO_REPROPOSE_LEADER.name]: NO_REPROPOSE_LEADER,
  [COMMIT_IGNORES_BALLOT.name]: COMMIT_IGNORES_BALLOT,
  [MIXED_ALPHA.name]: MIXED_ALPHA,
  [THRIFTY_SHORT_QUORUM.name]: THRIFTY_SHORT_QUORUM,
  [THRIFTY_NEVER_WIDENS.name]: THRIFTY_NEVER_WIDENS,
};
