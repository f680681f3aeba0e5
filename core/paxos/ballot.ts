/**
 * A ballot is totally ordered by (round, proposer). The proposer part must be unique per
 * commander *incarnation*: a commander that restarts with no memory must never reuse a
 * ballot it may have used before, so the shell passes a fresh incarnation id.
 */
export interface Ballot {
  readonly round: number;
  readonly proposer: string;
}

export const ZERO_BALLOT: Ballot = Object.freeze({ round: 0, proposer: "" });

export function compareBallots(a: Ballot, b: Ballot): number {
  if (a.round !== b.round) return a.round - b.round;
  return a.proposer < b.proposer ? -1 : a.proposer > b.proposer ? 1 : 0;
}

export const ballotEquals = (a: Ballot, b: Ballot): boolean => compareBallots(a, b) === 0;

export const maxBallot = (a: Ballot, b: Ballot): Ballot => (compareBallots(a, b) >= 0 ? a : b);

export const formatBallot = (b: Ballot): string => `${b.round}.${b.proposer}`;
