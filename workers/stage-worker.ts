import { WorkerEntrypoint } from "cloudflare:workers";
import type { Payload } from "../core/jobs/payload.ts";
import { payloadKey } from "../core/jobs/payload.ts";
import type { Env } from "../durable-objects/env.ts";
import { parseJobsConfig } from "../durable-objects/jobs-config.ts";
import { r2Blobs } from "../durable-objects/r2-blobs.ts";
import { errorMessage } from "../runtime/errors.ts";
import type { StageRun } from "../runtime/jobs/backends.ts";
import { Payloads } from "../runtime/jobs/payload-store.ts";
import type { Registry } from "../core/sdk/registry.ts";
import { sealable } from "../core/jobs/advance.ts";
import { checkCodeIdentity } from "../core/sdk/code-identity.ts";
import { digestOf } from "../core/sdk/registry.ts";
import { runStage } from "../core/sdk/run-stage.ts";

/**
 * The stage Worker: stateless, runs one call of a bundled stage and answers with its result.
 * Commanders reach it through the STAGES service binding (RPC), so a call costs no HTTP
 * round trip and each runs in its own invocation, beside the commander's Durable Object.
 * The Worker entry exports a subclass that names the deployment's registry
 * (workers/define-paxflow.ts).
 */
export abstract class StageWorker extends WorkerEntrypoint<Env> {
  /** The stages this deployment bundles. */
  protected abstract readonly registry: Registry;

  /** `digest`: the stage's code digest the leader dispatched the call for; another one here refuses it (CodeMismatch). */
  async run(stage: string, input: Payload, digest?: string): Promise<StageRun> {
    const definition = this.registry.stages.get(stage);
    const config = parseJobsConfig(this.env);
    const payloads = new Payloads(r2Blobs(this.env.PAYLOADS), config.inlinePayloadBytes, payloadKey);
    const value = await payloads.open(input);
    const startedAt = Date.now();
    if (!definition) {
      return { outcome: { ok: false, error: { name: "UnknownStage", message: `no stage named "${stage}" is deployed` } }, startedAt, finishedAt: startedAt };
    }
    const identity = checkCodeIdentity(digestOf(this.registry, "stage", stage), digest, stage);
    if (!identity.ok) return { outcome: { ok: false, error: identity.error }, startedAt, finishedAt: startedAt };
    try {
      const output = await payloads.seal(sealable(runStage(definition, value, { freezeInput: config.freezeInputs })));
      return { outcome: { ok: true, value: output }, startedAt, finishedAt: Date.now() };
    } catch (error) {
      const name = error instanceof Error ? error.name : "Error";
      return { outcome: { ok: false, error: { name, message: errorMessage(error) } }, startedAt, finishedAt: Date.now() };
    }
  }
}
