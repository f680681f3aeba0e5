import { takenFrom } from "../core/jobs/state.ts";
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
    calls: job.calls.map((call) => {
      const resultFrom = takenFrom(call);
      return {
        seq: call.seq,
        kind: call.kind,
        target: call.target,
        ...(call.kind === "job" ? { child: call.child } : {}),
        ...(resultFrom === undefined ? {} : { resultFrom }),
        attempts: (call.kind === "stage" ? call.attempts : []).map((a) => ({
          attempt: a.attempt,
          node: a.node,
          dispatchedAt: a.dispatchedAt,
          reason: a.reason,
          ...(a.status.is === "ended" ? { timedOutAt: a.status.at, ending: a.status.how } : {}),
          candidates: a.alternatives.map((c) => ({
            node: c.node,
            chosen: c.node === a.node,
            predictedFinishMs: c.finishAt - a.dispatchedAt,
            waitMs: c.waitMs,
            transferMs: c.transferMs,
            runMs: c.runMs,
          })),
        })),
      };
    }),
  };
}
