/**
 * Isolation Forest (Liu, Ting & Zhou, "Isolation Forest", ICDM 2008). Anomalies are few and
 * different, so random axis-parallel cuts isolate them in fewer steps than normal points: the
 * anomaly score of x is
 *
 *   s(x, psi) = 2^(-E[h(x)] / c(psi))
 *
 * where h(x) is the path length of x in a tree grown on a subsample of psi points (plus c(size)
 * for the points left together in its leaf), and c(n) the average path length of an
 * unsuccessful search in a binary search tree of n points, which normalises h. s near 1:
 * anomaly; well below 0.5: normal; everything near 0.5: no distinct anomaly.
 *
 * Written here rather than taken from npm, where nothing well kept exists: `isolation-forest`
 * (0.0.9) and `ml-isolation-forest` (0.1.0) both draw from Math.random, so a simulation could
 * not be replayed from its seed, and the latter grows every tree on the whole data set instead
 * of a subsample. This one is ~100 lines, seeded, and follows the paper: subsample 256,
 * 100 trees, height limit ceil(log2 psi), a split value uniform between the node's min and max
 * of a randomly chosen attribute (chosen among those that still vary in the node).
 */
import { Random } from "../sim/random.ts";

/** Euler–Mascheroni constant, for the harmonic number H(i) ≈ ln(i) + gamma. */
const EULER_GAMMA = 0.5772156649015329;

/** c(n): the average path length of an unsuccessful BST search among n points (the paper's normaliser). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

type Tree = { readonly size: number } | { readonly feature: number; readonly split: number; readonly left: Tree; readonly right: Tree };

export interface IsolationForestOptions {
  /** Trees in the forest. Default 100 (the paper: path lengths converge well before that). */
  readonly trees?: number;
  /** Points per tree (psi). Default 256 (the paper's choice; fewer when the data has fewer). */
  readonly sampleSize?: number;
  /** Seed of the PRNG that draws subsamples, attributes and split values. Default 1. */
  readonly seed?: number;
}

export class IsolationForest {
  private constructor(
    private readonly trees: readonly Tree[],
    /** psi: the subsample size the trees were grown on (normalises scores). */
    readonly sampleSize: number,
  ) {}

  /**
   * Grows the forest on `data` (rows of equal length). Points in `always` go into every tree's
   * subsample besides the random draw from `data`: the scheduler scores the current vector of
   * every node, and a point that is in the sample is isolated by the cuts the paper makes, where
   * one outside the sample's range would fall wherever the cuts happen to send it.
   */
  static fit(data: readonly (readonly number[])[], options: IsolationForestOptions & { always?: readonly (readonly number[])[] } = {}): IsolationForest {
    const trees = options.trees ?? 100;
    const always = options.always ?? [];
    const psi = Math.min(options.sampleSize ?? 256, data.length + always.length);
    if (psi < 1) throw new RangeError("isolation forest needs at least one point");
    const dims = (always[0] ?? data[0])!.length;
    const random = new Random(options.seed ?? 1);
    const heightLimit = Math.ceil(Math.log2(Math.max(2, psi)));
    const draw = Math.max(0, Math.min(data.length, psi - always.length));
    // Rows live in one flat array (the `always` rows first); a tree's sample is a list of row numbers
    // that growing partitions in place, so a forest allocates little besides its nodes.
    const rows = always.length + data.length;
    const flat = new Float64Array(rows * dims);
    [...always, ...data].forEach((row, r) => {
      if (row.length !== dims) throw new RangeError(`isolation forest rows must have ${dims} values, row ${r} has ${row.length}`);
      flat.set(row, r * dims);
    });
    const pool = Int32Array.from({ length: data.length }, (_, i) => always.length + i);
    const sample = new Int32Array(always.length + draw);
    const grown: Tree[] = [];
    for (let t = 0; t < trees; t++) {
      for (let i = 0; i < always.length; i++) sample[i] = i;
      // A partial Fisher–Yates shuffle: the first `draw` rows of the pool are a uniform sample without replacement.
      for (let i = 0; i < draw; i++) {
        const j = i + random.int(pool.length - i);
        const swap = pool[i]!;
        pool[i] = pool[j]!;
        pool[j] = swap;
        sample[always.length + i] = pool[i]!;
      }
      grown.push(grow({ flat, dims, random, heightLimit, mins: new Float64Array(dims), maxs: new Float64Array(dims) }, sample, 0, sample.length, 0));
    }
    return new IsolationForest(grown, sample.length);
  }

  /** E[h(x)]: the mean path length of x over the trees. */
  pathLength(x: readonly number[]): number {
    let total = 0;
    for (const tree of this.trees) total += pathLength(tree, x, 0);
    return total / this.trees.length;
  }

  /** s(x) in (0, 1]. */
  score(x: readonly number[]): number {
    const c = averagePathLength(this.sampleSize);
    return c === 0 ? 0.5 : 2 ** (-this.pathLength(x) / c);
  }
}

interface Growing {
  readonly flat: Float64Array;
  readonly dims: number;
  readonly random: Random;
  readonly heightLimit: number;
  /** Scratch space for a node's per-feature range. */
  readonly mins: Float64Array;
  readonly maxs: Float64Array;
}

/** Grows a tree over rows[from, to), partitioning them in place. */
function grow(g: Growing, rows: Int32Array, from: number, to: number, depth: number): Tree {
  const size = to - from;
  if (depth >= g.heightLimit || size <= 1) return { size };
  const { flat, dims, mins, maxs } = g;
  mins.fill(Infinity);
  maxs.fill(-Infinity);
  for (let i = from; i < to; i++) {
    const base = rows[i]! * dims;
    for (let f = 0; f < dims; f++) {
      const v = flat[base + f]!;
      if (v < mins[f]!) mins[f] = v;
      if (v > maxs[f]!) maxs[f] = v;
    }
  }
  const varying: number[] = [];
  for (let f = 0; f < dims; f++) if (maxs[f]! > mins[f]!) varying.push(f);
  if (varying.length === 0) return { size }; // all equal: nothing left to isolate
  const feature = varying[g.random.int(varying.length)]!;
  const split = mins[feature]! + g.random.next() * (maxs[feature]! - mins[feature]!);
  let mid = from;
  for (let i = from; i < to; i++) {
    const r = rows[i]!;
    if (flat[r * dims + feature]! < split) {
      rows[i] = rows[mid]!;
      rows[mid++] = r;
    }
  }
  return { feature, split, left: grow(g, rows, from, mid, depth + 1), right: grow(g, rows, mid, to, depth + 1) };
}

function pathLength(tree: Tree, x: readonly number[], depth: number): number {
  let node = tree;
  let e = depth;
  while (!("size" in node)) {
    node = x[node.feature]! < node.split ? node.left : node.right;
    e++;
  }
  return e + averagePathLength(node.size);
}
