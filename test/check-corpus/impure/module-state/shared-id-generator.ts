// expect: purity/outer-write@23 purity/outer-write@34
// A module-level generator object shared by two jobs: each next() advances shared state, so ids
// depend on what ran before. A generator created inside the job is fine.
import { defineJob, defineStage } from "../../../../core/index.ts";

function* counter(start = 1) {
  for (let i = start; ; i++) yield i;
}
const ids = counter();

export const storeDoc = defineStage({
  name: "store-doc", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 5, outputBytes: (bytes) => bytes },
  run: (doc: { id: number; body: string }) => ({ ...doc, size: doc.body.length }),
});

export const importDocs = defineJob({
  name: "import-docs",
  *run(bodies: string[]) {
    const out = [];
    const local = counter(100);
    for (const body of bodies) {
      const id = ids.next().value as number;
      const seq = local.next().value as number;
      out.push(yield* storeDoc({ id: id + seq, body }));
    }
    return out;
  },
});

export const importOne = defineJob({
  name: "import-one",
  *run(body: string) {
    const { value } = ids.next();
    return yield* storeDoc({ id: value as number, body });
  },
});
