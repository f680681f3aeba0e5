/**
 * The DAG a simulation runs: tasks with a declared runtime (seconds on a speed-1 node), the
 * bytes each reads from the tasks it depends on, and the bytes it writes.
 *
 *   { "name": "diamond",
 *     "tasks": [ { "id": "a", "runtime": 2, "inputs": [], "outputBytes": 1e6 },
 *                { "id": "b", "runtime": 3, "inputs": [{ "from": "a", "bytes": 1e6 }], "outputBytes": 1e5, "caps": ["simd"] } ] }
 *
 * A task is ready when every task named in its inputs is done. `parseDag` refuses anything
 * else with a message that names the task and field (unknown `from`, duplicate ids, negative
 * or missing numbers, unknown capabilities, unknown fields) and spells out a cycle.
 */
import { type Cap, KNOWN_CAPS } from "../../sdk/caps.ts";

/** Bad input the user can fix (a DAG, a cluster, a generator spec): the CLI prints it and exits 2. */
export class SimInputError extends Error {
  override readonly name = "SimInputError";
}

export interface DagInput {
  readonly from: string;
  readonly bytes: number;
}

export interface DagTask {
  readonly id: string;
  /** Seconds on a speed-1 node. */
  readonly runtime: number;
  readonly inputs: readonly DagInput[];
  readonly outputBytes: number;
  /** Capabilities a node needs to run it (default ["cpu"]). */
  readonly caps?: readonly Cap[];
}

export interface Dag {
  readonly name: string;
  readonly tasks: readonly DagTask[];
}

export const taskCaps = (task: DagTask): readonly Cap[] => task.caps ?? ["cpu"];

const TASK_FIELDS = ["id", "runtime", "inputs", "outputBytes", "caps"];
const INPUT_FIELDS = ["from", "bytes"];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (v === undefined ? "nothing" : JSON.stringify(v));

/** A finite number >= 0 (or > 0 when `positive`), else a SimInputError naming `what`. */
export function number(v: unknown, what: string, positive = false): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (positive && v === 0)) {
    throw new SimInputError(`${what} must be a number ${positive ? "> 0" : ">= 0"}, got ${show(v)}`);
  }
  return v;
}

export function unknownFields(o: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw new SimInputError(`${where}: unknown field "${key}" (expected ${allowed.join(", ")})`);
  }
}

export function caps(v: unknown, where: string): Cap[] {
  if (!Array.isArray(v) || v.length === 0) throw new SimInputError(`${where} must list at least one capability, got ${show(v)}`);
  for (const c of v) {
    if (!(KNOWN_CAPS as readonly unknown[]).includes(c)) throw new SimInputError(`${where}: unknown capability ${show(c)} (known: ${KNOWN_CAPS.join(", ")})`);
  }
  return [...new Set(v as Cap[])];
}

/** Validates a parsed JSON value as a DAG; throws SimInputError naming the first problem. */
export function parseDag(raw: unknown): Dag {
  if (!isObject(raw)) throw new SimInputError(`a DAG must be an object { name, tasks }, got ${show(raw)}`);
  unknownFields(raw, ["name", "tasks"], "DAG");
  if (typeof raw.name !== "string" || raw.name === "") throw new SimInputError(`DAG name must be a non-empty string, got ${show(raw.name)}`);
  if (!Array.isArray(raw.tasks) || raw.tasks.length === 0) throw new SimInputError(`DAG "${raw.name}": tasks must be a non-empty array, got ${show(raw.tasks)}`);
  const seen = new Map<string, number>();
  const tasks: DagTask[] = raw.tasks.map((t: unknown, i: number) => {
    if (!isObject(t)) throw new SimInputError(`tasks[${i}] must be an object, got ${show(t)}`);
    if (typeof t.id !== "string" || t.id === "") throw new SimInputError(`tasks[${i}].id must be a non-empty string, got ${show(t.id)}`);
    const where = `task "${t.id}" (tasks[${i}])`;
    const earlier = seen.get(t.id);
    if (earlier !== undefined) throw new SimInputError(`duplicate task id "${t.id}" (tasks[${earlier}] and tasks[${i}])`);
    seen.set(t.id, i);
    unknownFields(t, TASK_FIELDS, where);
    const inputsRaw = t.inputs ?? [];
    if (!Array.isArray(inputsRaw)) throw new SimInputError(`${where}: inputs must be an array, got ${show(t.inputs)}`);
    const inputs = inputsRaw.map((input: unknown, j: number): DagInput => {
      const at = `${where} inputs[${j}]`;
      if (!isObject(input)) throw new SimInputError(`${at} must be an object { from, bytes }, got ${show(input)}`);
      unknownFields(input, INPUT_FIELDS, at);
      if (typeof input.from !== "string" || input.from === "") throw new SimInputError(`${at}.from must be a task id, got ${show(input.from)}`);
      return { from: input.from, bytes: number(input.bytes, `${at}.bytes`) };
    });
    return {
      id: t.id,
      runtime: number(t.runtime, `${where}.runtime`),
      inputs,
      outputBytes: number(t.outputBytes, `${where}.outputBytes`),
      ...(t.caps === undefined ? {} : { caps: caps(t.caps, `${where}.caps`) }),
    };
  });
  for (const task of tasks) {
    for (const [j, input] of task.inputs.entries()) {
      if (!seen.has(input.from)) throw new SimInputError(`task "${task.id}" inputs[${j}]: unknown task "${input.from}"`);
    }
  }
  const cycle = findCycle(tasks);
  if (cycle) throw new SimInputError(`DAG "${raw.name}" has a cycle: ${cycle.join(" -> ")}`);
  return { name: raw.name, tasks };
}

/** A dependency cycle as ids (first repeated last), or null. Follows inputs, so it reads "x needs y needs x". */
export function findCycle(tasks: readonly DagTask[]): string[] | null {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const state = new Map<string, 1 | 2>(); // 1: on the stack, 2: finished
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    state.set(id, 1);
    stack.push(id);
    for (const input of byId.get(id)?.inputs ?? []) {
      const s = state.get(input.from);
      if (s === 1) return [...stack.slice(stack.indexOf(input.from)), input.from];
      if (s === undefined) {
        const found = visit(input.from);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 2);
    return null;
  };
  for (const t of tasks) {
    if (state.has(t.id)) continue;
    const found = visit(t.id);
    if (found) return found;
  }
  return null;
}

/** Task ids in an order where every task comes after all of its inputs (stable: file order among ready tasks). */
export function topologicalOrder(dag: Dag): string[] {
  const indegree = new Map<string, number>();
  const consumers = successors(dag);
  for (const t of dag.tasks) indegree.set(t.id, new Set(t.inputs.map((i) => i.from)).size);
  const order: string[] = [];
  const ready = dag.tasks.filter((t) => indegree.get(t.id) === 0).map((t) => t.id);
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    for (const next of consumers.get(id) ?? []) {
      const left = indegree.get(next)! - 1;
      indegree.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return order;
}

/** For each task, the distinct tasks that read its output, in file order. */
export function successors(dag: Dag): Map<string, string[]> {
  const out = new Map<string, string[]>(dag.tasks.map((t) => [t.id, []]));
  for (const t of dag.tasks) for (const from of new Set(t.inputs.map((i) => i.from))) out.get(from)!.push(t.id);
  return out;
}
