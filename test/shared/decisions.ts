import { type Value, encode } from "../../core/codec.ts";
import type { Decision } from "../../core/jobs/decisions.ts";
import { type Payload, inlinePayload } from "../../core/jobs/payload.ts";

/** A value as the log holds it inline. */
export const inline = (value: Value): Payload => inlinePayload(encode(value));

/** A call.dispatched decision for state-level tests: call `seq` of `job`, predicted to take 1 ms, dispatched at 2 by commander "c". */
export function dispatchedAt(o: { readonly job?: string; readonly seq?: number; readonly attempt: number; readonly node: string; readonly stage: string; readonly input: Value; readonly verify?: string }): Decision {
  return {
    type: "call.dispatched",
    job: o.job ?? "j",
    seq: o.seq ?? 0,
    attempt: o.attempt,
    stage: o.stage,
    input: inline(o.input),
    node: o.node,
    at: 2,
    predicted: { node: o.node, finishAt: 3, waitMs: 0, transferMs: 0, runMs: 1 },
    alternatives: [],
    reason: "test",
    by: "c",
    ...(o.verify ? { verify: o.verify } : {}),
  };
}

/** A call.result decision for state-level tests: `node`'s value for `attempt` of call `seq` of `job`, ran 3 to 4, applied at 5 unless told. */
export function resultAt(o: { readonly job?: string; readonly seq: number; readonly attempt: number; readonly node: string; readonly value: Value; readonly startedAt?: number; readonly finishedAt?: number; readonly at?: number }): Decision {
  return {
    type: "call.result",
    job: o.job ?? "j",
    seq: o.seq,
    attempt: o.attempt,
    node: o.node,
    outcome: { ok: true, value: inline(o.value) },
    startedAt: o.startedAt ?? 3,
    finishedAt: o.finishedAt ?? 4,
    at: o.at ?? 5,
  };
}
