/**
 * Seeded DAG generators: chains, fork-join and random layered DAGs (the shapes workflow
 * schedulers are usually evaluated on). Runtimes are log-uniform between `minRuntime` and
 * `maxRuntime` seconds, outputs log-uniform between `minBytes` and `maxBytes`, and a consumer
 * reads its producer's whole output. A share of the tasks (`simd`) needs the "simd" capability.
 *
 * `dagFromSpec("random:layers=6,width=8,seed=3")` is what `paxflow simulate --dag` accepts
 * instead of a file.
 */
import type { Cap } from "../../sdk/caps.ts";
import { Random } from "../random.ts";
import { type Dag, type DagInput, type DagTask, SimInputError } from "./dag.ts";

export interface ShapeOptions {
  readonly seed?: number;
  /** Seconds on a speed-1 node, log-uniform in [minRuntime, maxRuntime]. */
  readonly minRuntime?: number;
  readonly maxRuntime?: number;
  /** Output bytes, log-uniform in [minBytes, maxBytes]. */
  readonly minBytes?: number;
  readonly maxBytes?: number;
  /** Share of tasks that need "simd" instead of "cpu" (0..1). */
  readonly simd?: number;
}

const DEFAULTS = { seed: 1, minRuntime: 1, maxRuntime: 20, minBytes: 1e6, maxBytes: 1e8, simd: 0 };

class Maker {
  readonly rng: Random;
  readonly o: typeof DEFAULTS;
  readonly tasks: DagTask[] = [];
  private readonly outputs = new Map<string, number>();
  constructor(options: ShapeOptions) {
    this.o = { ...DEFAULTS, ...options };
    this.rng = new Random(this.o.seed);
  }
  private logUniform(lo: number, hi: number): number {
    if (lo === hi) return lo;
    if (lo <= 0) return lo + this.rng.next() * (hi - lo);
    return Math.exp(Math.log(lo) + this.rng.next() * (Math.log(hi) - Math.log(lo)));
  }
  task(id: string, from: readonly string[], caps?: readonly Cap[]): string {
    const runtime = Number(this.logUniform(this.o.minRuntime, this.o.maxRuntime).toFixed(3));
    const outputBytes = Math.round(this.logUniform(this.o.minBytes, this.o.maxBytes));
    const simd = this.rng.chance(this.o.simd);
    const inputs: DagInput[] = from.map((f) => ({ from: f, bytes: this.outputs.get(f)! }));
    const need = caps ?? (simd ? (["simd"] as const) : undefined);
    this.tasks.push({ id, runtime, inputs, outputBytes, ...(need ? { caps: need } : {}) });
    this.outputs.set(id, outputBytes);
    return id;
  }
}

/** `length` tasks, each reading the one before. */
export function chainDag(length: number, options: ShapeOptions = {}): Dag {
  positiveInt(length, "length");
  const m = new Maker(options);
  let prev: string[] = [];
  for (let i = 0; i < length; i++) prev = [m.task(`t${i}`, prev)];
  return { name: `chain-${length}-s${m.o.seed}`, tasks: m.tasks };
}

/** `stages` rounds of: one task fans out to `width` tasks, which a join task reads. */
export function forkJoinDag(width: number, stages = 1, options: ShapeOptions = {}): Dag {
  positiveInt(width, "width");
  positiveInt(stages, "stages");
  const m = new Maker(options);
  let source = m.task("source", [], ["cpu"]);
  for (let s = 0; s < stages; s++) {
    const branches = Array.from({ length: width }, (_, i) => m.task(`s${s}-w${i}`, [source]));
    source = m.task(`join${s}`, branches, ["cpu"]);
  }
  return { name: `fork-join-${width}x${stages}-s${m.o.seed}`, tasks: m.tasks };
}

/**
 * `layers` layers of width/2..width tasks. Each task past the first layer reads 1..3 tasks of
 * the layer before and, one time in five, one task of an older layer; every task feeds at
 * least one task of the next layer, so the DAG has no dead ends before the last layer.
 */
export function layeredDag(layers: number, width: number, options: ShapeOptions = {}): Dag {
  positiveInt(layers, "layers");
  positiveInt(width, "width");
  const m = new Maker({ simd: 0.25, ...options });
  const r = m.rng;
  const sizes = Array.from({ length: layers }, () => Math.ceil(width / 2) + r.int(width - Math.ceil(width / 2) + 1));
  const ids = sizes.map((n, l) => Array.from({ length: n }, (_, i) => `l${l}-${i}`));
  const from = new Map<string, string[]>();
  for (let l = 1; l < layers; l++) {
    const prev = ids[l - 1]!;
    for (const id of ids[l]!) {
      const picks = new Set<string>();
      const k = 1 + r.int(Math.min(3, prev.length));
      while (picks.size < k) picks.add(r.pick(prev));
      if (l >= 2 && r.chance(0.2)) picks.add(r.pick(ids[r.int(l - 1)]!));
      from.set(id, [...picks]);
    }
    // No dead ends: a task of the layer before that nobody reads feeds a random task here.
    const read = new Set([...ids[l]!].flatMap((id) => from.get(id)!));
    for (const p of prev) if (!read.has(p)) from.get(r.pick(ids[l]!))!.push(p);
  }
  for (const layer of ids) for (const id of layer) m.task(id, from.get(id) ?? []);
  return { name: `random-l${layers}-w${width}-s${m.o.seed}`, tasks: m.tasks };
}

function positiveInt(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) throw new SimInputError(`${what} must be an integer >= 1, got ${n}`);
}

const SPEC_KEYS: Record<string, readonly string[]> = {
  chain: ["length"],
  "fork-join": ["width", "stages"],
  random: ["layers", "width"],
};
const COMMON_KEYS = ["seed", "simd", "minRuntime", "maxRuntime", "minBytes", "maxBytes"];

/** True when `--dag` names a generator rather than a file. */
export const isDagSpec = (s: string): boolean => /^(chain|fork-join|random):/.test(s);

/**
 * `chain:length=12,seed=1`, `fork-join:width=8,stages=2,seed=1`, `random:layers=6,width=8,seed=3`;
 * each also takes simd (share of simd tasks), minRuntime, maxRuntime, minBytes, maxBytes.
 */
export function dagFromSpec(spec: string): Dag {
  const colon = spec.indexOf(":");
  const kind = spec.slice(0, colon);
  const keys = SPEC_KEYS[kind];
  if (colon < 0 || !keys) throw new SimInputError(`unknown DAG generator "${spec}" (expected chain:, fork-join: or random:)`);
  const values: Record<string, number> = {};
  for (const part of spec.slice(colon + 1).split(",").filter((p) => p.trim() !== "")) {
    const [key, value, extra] = part.split("=").map((s) => s.trim());
    if (!key || value === undefined || extra !== undefined) throw new SimInputError(`"${part}" in "${spec}" is not key=value`);
    if (!keys.includes(key) && !COMMON_KEYS.includes(key)) throw new SimInputError(`unknown key "${key}" for ${kind} (expected ${[...keys, ...COMMON_KEYS].join(", ")})`);
    const n = Number(value);
    if (value === "" || !Number.isFinite(n) || n < 0) throw new SimInputError(`${key} must be a number >= 0, got "${value}"`);
    values[key] = n;
  }
  const options: ShapeOptions = {
    seed: values.seed ?? 1,
    ...(values.simd !== undefined ? { simd: values.simd } : {}),
    ...(values.minRuntime !== undefined ? { minRuntime: values.minRuntime } : {}),
    ...(values.maxRuntime !== undefined ? { maxRuntime: values.maxRuntime } : {}),
    ...(values.minBytes !== undefined ? { minBytes: values.minBytes } : {}),
    ...(values.maxBytes !== undefined ? { maxBytes: values.maxBytes } : {}),
  };
  if ((options.simd ?? 0) > 1) throw new SimInputError(`simd is a share from 0 to 1, got ${options.simd}`);
  if ((options.minRuntime ?? DEFAULTS.minRuntime) > (options.maxRuntime ?? DEFAULTS.maxRuntime)) throw new SimInputError("minRuntime must be <= maxRuntime");
  if ((options.minBytes ?? DEFAULTS.minBytes) > (options.maxBytes ?? DEFAULTS.maxBytes)) throw new SimInputError("minBytes must be <= maxBytes");
  if (kind === "chain") return chainDag(values.length ?? 12, options);
  if (kind === "fork-join") return forkJoinDag(values.width ?? 8, values.stages ?? 1, options);
  return layeredDag(values.layers ?? 6, values.width ?? 8, options);
}
