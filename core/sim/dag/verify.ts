/**
 * Correctness of a simulated run, independent of how good its schedule is: every task has
 * exactly one winning attempt; no attempt started before every task it reads had finished
 * (data cannot arrive before it exists); attempts never overlap their own bounds; the makespan
 * is the last winner's end and is at least the lower bound. Returns the problems (empty: fine).
 */
import type { Dag } from "./dag.ts";
import type { SimulationResult } from "./simulate.ts";

const EPS = 1e-6;

export function verifyRun(dag: Dag, result: SimulationResult): string[] {
  const problems: string[] = [];
  const { report, attempts } = result;
  const winners = new Map<string, (typeof attempts)[number]>();
  for (const a of attempts) {
    if (a.end !== "won") continue;
    if (winners.has(a.task)) problems.push(`task ${a.task} won twice (${winners.get(a.task)!.key} and ${a.key})`);
    winners.set(a.task, a);
  }
  for (const t of dag.tasks) if (!winners.has(t.id)) problems.push(`task ${t.id} never completed`);
  if (report.tasks !== dag.tasks.length) problems.push(`report counts ${report.tasks} tasks, the DAG has ${dag.tasks.length}`);
  const byId = new Map(dag.tasks.map((t) => [t.id, t]));
  for (const a of attempts) {
    if (a.startedAt !== null && a.startedAt + EPS < a.dispatchedAt) problems.push(`${a.key} started at ${a.startedAt} before it was sent at ${a.dispatchedAt}`);
    if (a.startedAt !== null && a.endedAt !== null && a.endedAt + EPS < a.startedAt) problems.push(`${a.key} ended before it started`);
    if (a.end === "won" && (a.startedAt === null || a.endedAt === null)) problems.push(`${a.key} won without running`);
    if (a.startedAt === null) continue;
    for (const input of byId.get(a.task)!.inputs) {
      const w = winners.get(input.from);
      if (!w || w.endedAt === null || w.endedAt > a.startedAt + EPS) problems.push(`${a.key} started at ${a.startedAt} before its input ${input.from} finished (${w?.endedAt ?? "never"})`);
    }
  }
  const last = Math.max(...[...winners.values()].map((w) => w.endedAt ?? 0));
  if (Math.abs(last - report.makespan) > 0.001 + EPS) problems.push(`makespan ${report.makespan} is not the last task's end ${last}`);
  if (report.makespan + 0.001 < report.lowerBound) problems.push(`makespan ${report.makespan} below the lower bound ${report.lowerBound}`);
  return problems;
}
