/**
 * What a runner that offers a call's result is told (the API answers it; runtime/jobs/job-driver.ts
 * offerResult proposes the result in between): decided from the applied state alone, so every
 * commander tells a runner the same. Pure.
 */
import type { JobId, NodeId } from "./decisions.ts";
import type { JobRecord, JobsState, StageCall } from "./state.ts";

/** An offered result, as far as the reply depends on it. */
export interface Offer {
  readonly job: JobId;
  readonly seq: number;
  readonly attempt: number;
  readonly node: NodeId;
  readonly startedAt: number;
  readonly finishedAt: number;
}

/** The runner's answer: `accepted` false when the result was refused (the reason says why). */
export interface OfferReply {
  readonly accepted: boolean;
  readonly reason?: string;
}

/** The stage call an offer names, when its attempt went to the offering node. */
function offered(job: JobRecord, offer: Offer): StageCall | null {
  const call = job.calls[offer.seq];
  return call?.kind === "stage" && call.attempts[offer.attempt - 1]?.node === offer.node ? call : null;
}

/** Whether an answer's times are those of the offer: the same report again, not a second run. */
const sameReport = (x: { startedAt: number; finishedAt: number }, offer: Offer): boolean => x.startedAt === offer.startedAt && x.finishedAt === offer.finishedAt;

/** The answer the call holds for the offer's attempt, while it is verified. */
const held = (call: StageCall, offer: Offer) => (call.state.is === "verifying" ? call.state.answers.find((a) => a.attempt === offer.attempt) : undefined);

/** Whether the offering node is among those that agreed on a verified call's result (its held answers are dropped once accepted). */
const agreed = (call: StageCall, offer: Offer): boolean =>
  call.state.is === "done" && call.state.verified?.settled === "agreed" && call.state.verified.by.includes(offer.node);

/** The call's result, once it has one. */
const taken = (call: StageCall) => (call.state.is === "done" ? call.state : undefined);

/**
 * The reply to an offer before it is proposed, or null when it must be proposed: refused when the
 * call was not dispatched to that node; taken as it is when the log already has this very report
 * (the runner did not see our answer, or sends twice).
 */
export function replyBeforeProposing(job: JobRecord | undefined, offer: Offer): OfferReply | null {
  if (!job) return { accepted: false, reason: `unknown job ${offer.job}` };
  const call = offered(job, offer);
  if (!call) return { accepted: false, reason: `call ${offer.job}#${offer.seq} attempt ${offer.attempt} was not dispatched to ${offer.node}` };
  const answer = held(call, offer) ?? taken(call);
  const recorded = (answer !== undefined && answer.node === offer.node && sameReport(answer, offer)) || agreed(call, offer);
  return recorded ? { accepted: true, reason: "this result is already recorded" } : null;
}

/** Why `node` is quarantined ("" when no reason was recorded), or null while it is trusted: replyAfterProposing's `quarantine`. */
export const quarantineOf = (state: JobsState, node: NodeId): string | null => (state.distrusted(node) ? (state.node(node)?.quarantine?.reason ?? "") : null);

/**
 * The reply once the offer was proposed and the state applied it (`quarantine`: why its node is
 * quarantined, null when it is trusted): the call's result, a held or agreeing answer of a
 * verified call, or refused (a quarantined node, a call that had its result, an ended job).
 */
export function replyAfterProposing(job: JobRecord, offer: Offer, quarantine: string | null): OfferReply {
  const call = offered(job, offer);
  const done = call && taken(call);
  if (done?.node === offer.node && done.finishedAt === offer.finishedAt) return { accepted: true };
  if (quarantine !== null) return { accepted: false, reason: `${offer.node} is quarantined: ${quarantine}` };
  if (call && agreed(call, offer)) return { accepted: true, reason: "verified" };
  if (call && held(call, offer)) return { accepted: true, reason: "held until a second node agrees" };
  return { accepted: false, reason: job.status !== "running" ? `job ${job.id} already ${job.status}` : "the call already had a result (first result wins)" };
}
