/** A job as HTTP clients see it: values as JSON, each call with its status and placement history. */
import type { z } from "@hono/zod-openapi";
import { type AttemptRecord, type CallRecord, outcomeOf } from "../core/jobs/state.ts";
import type { JobView } from "../runtime/jobs/contract.ts";
import type { Payloads } from "../runtime/jobs/payload-store.ts";
import { openJson } from "./json-values.ts";
import type { AttemptJson, CallJson, CallStatus, JobJson } from "./schemas.ts";

function callStatus(call: CallRecord): z.infer<typeof CallStatus> {
  const outcome = outcomeOf(call);
  if (outcome) return outcome.ok ? "done" : "failed";
  // A stage call exists from its first dispatch; a sub-job call runs from its child's acceptance.
  return call.kind === "job" || call.attempts.length > 0 ? "running" : "queued";
}

/** An attempt as clients see it: when (`timedOutAt`, whatever the cause) and how it ended without an answer, if it did. */
function attemptJson({ status, ...attempt }: AttemptRecord): z.infer<typeof AttemptJson> {
  return status.is === "ended" ? { ...attempt, timedOutAt: status.at, ending: status.how } : attempt;
}

/** Where and when a call ran, and why it was verified, as far as its state says yet. */
function ranJson(call: CallRecord): Pick<z.infer<typeof CallJson>, "node" | "startedAt" | "finishedAt" | "child" | "verify"> {
  if (call.kind === "job") return { child: call.child, startedAt: call.startedAt, ...(call.state.is === "done" ? { finishedAt: call.state.finishedAt } : {}) };
  if (call.state.is === "verifying") return { verify: call.state.reason };
  if (call.state.is === "pending") return {};
  const { node, startedAt, finishedAt, verified } = call.state;
  return { node, startedAt, finishedAt, ...(verified ? { verify: verified.reason } : {}) };
}

function callJson(call: CallRecord): z.infer<typeof CallJson> {
  const { seq, kind, target, queuedAt, input } = call;
  const outcome = outcomeOf(call);
  const verified = call.kind === "stage" && call.state.is === "done" ? call.state.verified : undefined;
  const attempts = call.kind === "stage" ? call.attempts.map(attemptJson) : [];
  return {
    seq,
    kind,
    target,
    queuedAt,
    ...ranJson(call),
    status: callStatus(call),
    verified: verified?.settled === "agreed" ? { by: verified.by, ...(verified.dissenters.length > 0 ? { dissenters: verified.dissenters } : {}) } : false,
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
    // Jobs recorded before jobs had versions ran version 1.
    version: view.version ?? 1,
    ...(view.finishedAt === undefined ? {} : { durationMs: view.finishedAt - view.acceptedAt }),
    input: await openJson(payloads, input),
    inputBytes: input.bytes,
    ...(output ? { output: await openJson(payloads, output), outputBytes: output.bytes } : {}),
    calls: calls.map(callJson),
  };
}
