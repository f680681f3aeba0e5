/**
 * Stages in workerd (the stage Worker over its STAGES binding) run in UTC with the default locale
 * en-US, the same as the Node runners (runners/stage-environment.ts; test/e2e/stage-environment.test.ts
 * checks a runner started elsewhere), and in the tests' freeze mode a stage that changes its input
 * fails with InputMutationError (core/sdk/run-stage.ts).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decode, encode } from "../../core/codec.ts";
import { fromBase64, inlinePayload } from "../../core/jobs/payload.ts";
import { STAGE_ENVIRONMENT } from "../shared/stage-environment.ts";

describe("the stage Worker's run-time environment", () => {
  it("runs stages in UTC with the default locale en-US, as the Node runners do", async () => {
    const run = await env.STAGES.run("shapes/environment@1", inlinePayload(encode(null)));
    expect(run.outcome.ok, JSON.stringify(run.outcome)).toBe(true);
    if (!run.outcome.ok || !("inline" in run.outcome.value)) throw new Error("expected an inline result");
    expect(decode(fromBase64(run.outcome.value.inline))).toEqual(STAGE_ENVIRONMENT);
  });

  it("fails a call whose stage changes its input with InputMutationError (PAXFLOW_FREEZE_INPUTS=1 in the tests)", async () => {
    const run = await env.STAGES.run("shapes/mutate@1", inlinePayload(encode({ xs: [2, 1] })));
    expect(run.outcome).toMatchObject({ ok: false, error: { name: "InputMutationError" } });
    if (!run.outcome.ok) expect(run.outcome.error.message).toMatch(/^stage "shapes\/mutate@1" changed its input/);
  });
});
