// expect: job/cycle@13
// Running itself in parallel with another job: build-report waits, through all(...), on a call of
// itself with the very same input.
import { type Job, type Step, all, defineJob } from "../../../core/index.ts";

type Report = { tenant: string; month: string };

export const fetchUsage: Job<Report, number> = defineJob({ name: "fetch-usage", *run(r: Report): Step<number> { return r.month.length; } });

export const buildReport: Job<Report, number> = defineJob({
  name: "build-report",
  *run(report: Report): Step<number> {
    const [previous, usage] = yield* all([buildReport(report), fetchUsage({ ...report, month: "prev" })]);
    return previous + usage;
  },
});
