/**
 * Runs a job to completion in-process: stages inline (their CPU `run`), sub-jobs recursively,
 * every payload through the codec as it would cross a boundary. The reference semantics the
 * distributed commander must match, and what examples and tests use.
 */
import { type Value, decode, encode } from "../codec.ts";
import type { Call } from "./effects.ts";
import type { Registry } from "./registry.ts";
import { type JobFailure, type Outcome, type RecordedCall, ancestorCycle, formatCycle, replay } from "./replay.ts";

/** `calls` counts the calls this job made (a sub-job counts as one). */
export type LocalResult =
  | { readonly status: "done"; readonly output: Value; readonly calls: number }
  | { readonly status: "failed"; readonly error: JobFailure | { kind: "unknown"; name: string; message: string }; readonly calls: number };

const roundTrip = (value: Value): Value => decode(encode(value));

export function runLocally(registry: Registry, job: string, input: Value, ancestors: readonly Call[] = []): LocalResult {
  const definition = registry.jobs.get(job);
  if (!definition) return { status: "failed", error: { kind: "unknown", name: "UnknownJob", message: `no job named "${job}"` }, calls: 0 };
  const log: RecordedCall[] = [];
  let calls = 0;
  const self: Call = { kind: "job", target: job, input };
  for (;;) {
    const result = replay(definition, roundTrip(input), log);
    if (result.status !== "waiting") return { ...result, calls };
    for (const { seq, call } of result.pending) {
      calls++;
      log[seq] = { call, outcome: execute(registry, call, [...ancestors, self]) };
    }
  }
}

function execute(registry: Registry, call: Call, ancestors: readonly Call[]): Outcome {
  if (call.kind === "job") {
    const cycle = ancestorCycle(ancestors, call);
    if (cycle) return { ok: false, error: { name: "WaitCycleError", message: `sub-job waits on itself: ${formatCycle(cycle)}` } };
    const result = runLocally(registry, call.target, call.input, ancestors);
    return result.status === "done" ? { ok: true, value: result.output } : { ok: false, error: { name: result.error.name, message: result.error.message } };
  }
  const stage = registry.stages.get(call.target);
  if (!stage) return { ok: false, error: { name: "UnknownStage", message: `no stage named "${call.target}"` } };
  try {
    return { ok: true, value: roundTrip(stage.run(roundTrip(call.input))) };
  } catch (error) {
    return { ok: false, error: { name: error instanceof Error ? error.name : "Error", message: error instanceof Error ? error.message : String(error) } };
  }
}
