// expect: purity/outer-write@12 purity/outer-write@13
// Sorting an array nested in a stage's input writes the input. A job's input is its own copy,
// so the job may sort its input's nested arrays in place.
import { defineJob, defineStage } from "../../../../core/index.ts";

interface Report { sections: { title: string; rows: { label: string; value: number }[] }[] }

export const sortSections = defineStage({
  name: "sort-sections", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => bytes / 10_000, outputBytes: (bytes) => bytes },
  run: (report: Report) => {
    for (const s of report.sections) s.rows.sort((a, b) => b.value - a.value);
    report.sections[0]?.rows.splice(10);
    const copy = structuredClone(report);
    for (const s of copy.sections) s.rows.sort((a, b) => b.value - a.value);
    return copy;
  },
});

export const publishReport = defineJob({
  name: "publish-report",
  *run(report: Report) {
    for (const s of report.sections) s.rows.sort((a, b) => a.value - b.value);
    report.sections.reverse();
    const sorted = yield* sortSections(report);
    sorted.sections.splice(5);
    return sorted;
  },
});
