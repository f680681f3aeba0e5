// expect: none
// A job normalises its own input in place (a job's input is a private copy), then calls stages and
// pushes into the array a stage returned (results of yield* are private copies too).
import { defineJob, defineStage } from "../../../../core/index.ts";

type Batch = { title: string; tags: string[]; values: number[] };

export const scale = defineStage({
  name: "pure-job-scale", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 1e-6, outputBytes: (bytes) => bytes },
  run: ({ values, factor }: { values: number[]; factor: number }) => values.map((v) => v * factor),
});

export const normaliseBatch = defineJob({
  name: "pure-job-normalise-batch",
  *run(input: Batch) {
    input.title = input.title.trim().toLowerCase();
    input.tags.sort();
    for (let i = 0; i < input.tags.length; i++) input.tags[i] = input.tags[i]!.trim();
    const scaled = yield* scale({ values: input.values, factor: 2 });
    scaled.push(0);
    scaled.sort((a, b) => a - b);
    input.values = scaled;
    return input;
  },
});
