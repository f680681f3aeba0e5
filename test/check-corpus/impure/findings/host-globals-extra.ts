// expect: purity/io@11 purity/clock@12 purity/io@13 purity/outer-write@14
// Sizing work from the host, and publishing to the global object: navigator.hardwareConcurrency
// (missing on Node 20, 1 in workerd), performance.timeOrigin (a clock), and defineProperty on
// the global object (reading globalThis is host access; defining on it is a write). Input is fine.
import { defineStage } from "../../../../core/index.ts";

export const planChunks = defineStage({
  name: "plan-chunks", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 256 },
  run: (job: { totalBytes: number; workers: number }) => {
    const cores = navigator.hardwareConcurrency;
    const origin = performance.timeOrigin;
    const g = globalThis;
    Object.defineProperty(g, "__lastPlan", { value: job, configurable: true });
    const workers = Math.max(1, Math.min(job.workers, 64));
    const chunk = Math.ceil(job.totalBytes / workers);
    const plan = Array.from({ length: workers }, (_, i) => ({ from: i * chunk, to: Math.min(job.totalBytes, (i + 1) * chunk) }));
    return { plan, cores, origin };
  },
});
