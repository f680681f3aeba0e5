/** A job as HTTP clients see it: values as JSON, each call with its status and placement history. */
import type { z } from "@hono/zod-openapi";
import type { CallRecord } from "../core/jobs/state.ts";
import type { JobView } from "../runtime/jobs/contract.ts";
import type { Payloads } from "../runtime/jobs/payload-store.ts";
import { openJson } from "./json-values.ts";
import type { CallJson, CallStatus, JobJson } from "./schemas.ts";

function callStatus(call: CallRecord): z.infer<typeof CallStatus> {
  if (call.outcome) return call.outcome.ok ? "done" : "failed";
  // A stage call exists from its first dispatch; a sub-job call runs from its child's acceptance.
  return call.attempts.length > 0 || call.kind === "job" ? "running" : "queued";
}

function callJson(call: CallRecord): z.infer<typeof CallJson> {
  const { input, outcome, attempts, verifiedBy, dissenters, answers: _held, ...rest } = call;
  return {
    ...rest,
    status: callStatus(call),
    verified: verifiedBy ? { by: verifiedBy, ...(dissenters ? { dissenters } : {}) } : false,
    attemptCount: attempts.length,
    attempts,
    inputBytes: input.bytes,
    ...(outcome?.ok ? { outputBytes: outcome.value.bytes } : {}),
    ...(outcome && !outcome.ok ? { error: outcome.error } : {}),
  };
}

export async function jobJson(view: JobView, payloads: Payloads): Promise<z.infer<typeof JobJson>> {
  const { input, output, calls, ...rest } = view;
  return {
    ...rest,
    ...(view.finishedAt === undefined ? {} : { durationMs: view.finishedAt - view.acceptedAt }),
    input: await openJson(payloads, input),
    inputBytes: input.bytes,
    ...(output ? { output: await openJson(payloads, output), outputBytes: output.bytes } : {}),
    calls: calls.map(callJson),
  };
}
