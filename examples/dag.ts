/**
 * A job built from data: the input describes a DAG of arithmetic tasks, and the job runs it
 * in waves.
 *
 *   { tasks: [
 *       { id: "x", op: "const", value: 3, inputs: [] },
 *       { id: "y", op: "neg", inputs: ["x"] },
 *       { id: "z", op: "add", inputs: ["x", "y", "x"] },
 *   ] }                                        -> { x: 3, y: -3, z: 3 }
 *
 * The job first validates the description (duplicate or unknown ids, wrong arity, cycles):
 * a bad DAG throws inside the job, which fails the job with that error, the same way every
 * time it is replayed. Then each wave fans out, with all(...), every task whose inputs are all
 * done, until every task is done. Each op is a stage.
 */
import { type CallStep, type Step, all, defineJob, defineStage } from "paxflow";

export type Op = "add" | "mul" | "neg" | "const";

export type Task = {
  readonly id: string;
  readonly op: Op;
  /** The number a "const" task yields; only "const" tasks have one. */
  readonly value?: number;
  /** Ids of the tasks whose values this one combines, in order (repeats allowed). */
  readonly inputs: readonly string[];
};

export type DagInput = { readonly tasks: readonly Task[] };
export type DagOutput = { readonly [id: string]: number };

// Each op is a tiny stage: O(inputs) arithmetic on a few numbers (~9 bytes each encoded).
const arithmeticCost = { runtimeMs: (n: number) => 0.01 + n / 1e6, outputBytes: () => 9 };

export const add = defineStage({
  name: "dag/add",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 1_000,
  cost: arithmeticCost,
  run: (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0),
});

export const mul = defineStage({
  name: "dag/mul",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 1_000,
  cost: arithmeticCost,
  run: (xs: readonly number[]): number => xs.reduce((p, x) => p * x, 1),
});

export const neg = defineStage({
  name: "dag/neg",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 1_000,
  cost: arithmeticCost,
  run: (x: number): number => -x,
});

export const constant = defineStage({
  name: "dag/const",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 1_000,
  cost: arithmeticCost,
  run: (value: number): number => value,
});

const OPS: readonly string[] = ["add", "mul", "neg", "const"];

/** Checks one task's shape; returns an error message or null. */
function taskProblem(task: Task, index: number): string | null {
  const where = `task ${index}${typeof task?.id === "string" ? ` ("${task.id}")` : ""}`;
  if (typeof task !== "object" || task === null) return `${where} is not an object`;
  if (typeof task.id !== "string" || task.id === "") return `${where}: id must be a non-empty string`;
  if (!OPS.includes(task.op)) return `${where}: op must be one of ${OPS.join(", ")}, got ${JSON.stringify(task.op)}`;
  if (!Array.isArray(task.inputs as unknown) || !task.inputs.every((i) => typeof i === "string")) return `${where}: inputs must be a list of task ids`;
  const arity = task.inputs.length;
  if (task.op === "const") {
    if (typeof task.value !== "number") return `${where}: a const task needs a numeric value`;
    if (arity !== 0) return `${where}: a const task takes no inputs, got ${arity}`;
  } else if (task.value !== undefined) {
    return `${where}: only const tasks have a value`;
  }
  if (task.op === "neg" && arity !== 1) return `${where}: neg takes exactly 1 input, got ${arity}`;
  if ((task.op === "add" || task.op === "mul") && arity === 0) return `${where}: ${task.op} takes at least 1 input`;
  return null;
}

/**
 * A cycle among the tasks as a list of ids that starts and ends with the same id
 * (["a", "b", "a"]: a takes b as an input, b takes a), or null. Depth-first search in task order and input order, so the cycle
 * reported for a given DAG is always the same one.
 */
export function findCycle(tasks: readonly Task[]): string[] | null {
  const inputsOf = new Map(tasks.map((t) => [t.id, t.inputs] as const));
  const state = new Map<string, "on-path" | "done">();
  for (const root of tasks) {
    if (state.has(root.id)) continue;
    // The current path from root, and for each task on it the next input to follow.
    const path = [root.id];
    const next = [0];
    state.set(root.id, "on-path");
    while (path.length > 0) {
      const top = path.length - 1;
      const inputs = inputsOf.get(path[top]!) ?? [];
      const i = next[top]!;
      if (i === inputs.length) {
        state.set(path[top]!, "done");
        path.pop();
        next.pop();
        continue;
      }
      next[top] = i + 1;
      const input = inputs[i]!;
      const seen = state.get(input);
      if (seen === "on-path") return [...path.slice(path.indexOf(input)), input];
      if (seen === undefined) {
        state.set(input, "on-path");
        path.push(input);
        next.push(0);
      }
    }
  }
  return null;
}

/** Throws a clear Error if `input` is not a valid DAG description. */
export function validateDag(input: DagInput): void {
  if (typeof input !== "object" || input === null || !Array.isArray(input.tasks as unknown)) throw new TypeError("the input must be { tasks: [...] }");
  const ids = new Set<string>();
  for (const [index, task] of input.tasks.entries()) {
    const problem = taskProblem(task, index);
    if (problem) throw new TypeError(problem);
    if (ids.has(task.id)) throw new Error(`duplicate task id "${task.id}"`);
    ids.add(task.id);
  }
  for (const task of input.tasks) {
    const unknown = task.inputs.find((id) => !ids.has(id));
    if (unknown !== undefined) throw new Error(`task "${task.id}" depends on unknown task "${unknown}"`);
  }
  const cycle = findCycle(input.tasks);
  if (cycle) throw new Error(`the tasks form a cycle: ${cycle.join(" -> ")}`);
}

/** The stage call that computes `task` from the values of its inputs. */
function callFor(task: Task, values: ReadonlyMap<string, number>): CallStep<number> {
  const args = task.inputs.map((id) => values.get(id)!);
  switch (task.op) {
    case "const":
      return constant(task.value!);
    case "neg":
      return neg(args[0]!);
    case "add":
      return add(args);
    case "mul":
      return mul(args);
  }
}

export const runDag = defineJob({
  name: "dag",
  *run(input: DagInput): Step<DagOutput> {
    validateDag(input);
    const values = new Map<string, number>();
    // Validation guarantees progress: in an acyclic graph some task not yet done always has
    // all its inputs done, so every wave runs at least one task.
    while (values.size < input.tasks.length) {
      const wave = input.tasks.filter((t) => !values.has(t.id) && t.inputs.every((id) => values.has(id)));
      const results = yield* all(wave.map((task) => callFor(task, values)));
      for (const [i, task] of wave.entries()) values.set(task.id, results[i]!);
    }
    return Object.fromEntries(input.tasks.map((t) => [t.id, values.get(t.id)!]));
  },
});
