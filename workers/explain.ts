import type { JobView } from "../runtime/jobs/contract.ts";

/**
 * Why each call ran where it did, from the log alone: every attempt's candidates (best first,
 * as the commander predicted them at dispatch time, relative to that moment), the winner and
 * the reason recorded with the decision.
 */
export function explainJob(job: JobView) {
  return {
    id: job.id,
    name: job.name,
    status: job.status,
    calls: job.calls.map((call) => ({
      seq: call.seq,
      kind: call.kind,
      target: call.target,
      ...(call.child === undefined ? {} : { child: call.child }),
      ...(call.node === undefined ? {} : { resultFrom: call.node }),
      attempts: call.attempts.map((a) => ({
        attempt: a.attempt,
        node: a.node,
        dispatchedAt: a.dispatchedAt,
        reason: a.reason,
        ...(a.timedOutAt === undefined ? {} : { timedOutAt: a.timedOutAt }),
        candidates: a.alternatives.map((c) => ({
          node: c.node,
          chosen: c.node === a.node,
          predictedFinishMs: c.finishAt - a.dispatchedAt,
          waitMs: c.waitMs,
          transferMs: c.transferMs,
          runMs: c.runMs,
        })),
      })),
    })),
  };
}
