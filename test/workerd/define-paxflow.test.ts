/**
 * definePaxflow({ registry }): two Workers built from two registries each know only their own
 * jobs and stages (no module-level registry is shared between them).
 */
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { decode, encode } from "../../core/codec.ts";
import { fromBase64, inlinePayload, isInline } from "../../core/jobs/payload.ts";
import { createRegistry, defineJob, defineStage, type Step } from "../../core/index.ts";
import { definePaxflow } from "../../workers/define-paxflow.ts";
import { JOB_NAME_DESCRIPTION } from "../../workers/schemas.ts";
import { bearer } from "../shared/tokens.ts";

const twice = defineStage({
  name: "alpha/twice",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 1_000,
  cost: { runtimeMs: () => 0.001, outputBytes: () => 9 },
  run: (x: number) => 2 * x,
});
const doubled = defineJob({
  name: "alpha/doubled",
  *run(x: number): Step<number> {
    return yield* twice(x);
  },
});
const square = defineStage({
  name: "beta/square",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 1_000,
  cost: { runtimeMs: () => 0.001, outputBytes: () => 9 },
  run: (x: number) => x * x,
});
const squared = defineJob({
  name: "beta/squared",
  *run(x: number): Step<number> {
    return yield* square(x);
  },
});

const alpha = definePaxflow({ registry: createRegistry({ twice, doubled }) });
const beta = definePaxflow({ registry: createRegistry({ square, squared }) });

const submit = async (app: typeof alpha.app, job: string) =>
  app.fetch(
    new Request("http://paxflow.test/v1/jobs", {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer() },
      body: JSON.stringify({ job, input: 3 }),
    }),
    env,
  );

describe("definePaxflow", () => {
  it("gives each Worker its own registry: a job of the other is unknown, and the error names only its own", async () => {
    const refused = async (app: typeof alpha.app, job: string) => {
      const response = await submit(app, job);
      expect(response.status).toBe(404);
      return ((await response.json()) as { error: { code: string; message: string } }).error;
    };
    expect(await refused(alpha.app, "beta/squared")).toEqual({
      code: "unknown_job",
      message: 'no job named "beta/squared" is deployed (deployed: alpha/doubled@1)',
      retryable: false,
    });
    expect(await refused(beta.app, "alpha/doubled")).toMatchObject({ code: "unknown_job", message: 'no job named "alpha/doubled" is deployed (deployed: beta/squared@1)' });
  });

  it("names each registry's jobs in its OpenAPI document", async () => {
    const described = async (app: typeof alpha.app) => {
      const response = await app.fetch(new Request("http://paxflow.test/v1/openapi.json"), env);
      expect(response.status).toBe(200);
      const document = (await response.json()) as { components: { schemas: { SubmitJob: { properties: { job: { description: string } } } } } };
      return document.components.schemas.SubmitJob.properties.job.description;
    };
    expect(await described(alpha.app)).toBe(`${JOB_NAME_DESCRIPTION}; deployed here: alpha/doubled@1`);
    expect(await described(beta.app)).toBe(`${JOB_NAME_DESCRIPTION}; deployed here: beta/squared@1`);
  });

  it("gives each stage Worker its own registry's stages", async () => {
    const stageWorker = (paxflow: typeof alpha) => new paxflow.StageWorker(createExecutionContext(), env);
    const ran = await stageWorker(alpha).run("alpha/twice@1", inlinePayload(encode(21)));
    expect(ran.outcome.ok && isInline(ran.outcome.value) && decode(fromBase64(ran.outcome.value.inline))).toBe(42);
    const refused = await stageWorker(beta).run("alpha/twice@1", inlinePayload(encode(21)));
    expect(refused.outcome).toEqual({ ok: false, error: { name: "UnknownStage", message: 'no stage named "alpha/twice@1" is deployed' } });
  });
});
