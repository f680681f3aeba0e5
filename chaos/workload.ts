/**
 * The chaos suite's jobs: a seeded mix of the test shapes and the examples (the registry it is
 * given must have them: test/shared/registry.ts) (chains, fan-outs, sub-jobs,
 * long stages on runners, failing stages, a SIMD pipeline), each with its right ending computed
 * independently of the plane (`runLocally`: the job's generator run directly in this process).
 */
import { isDeepStrictEqual } from "node:util";
import type { Value } from "../core/codec.ts";
import { Random } from "../core/sim/random.ts";
import { runLocally } from "../core/sdk/local.ts";
import { type Registry, findJob } from "../core/sdk/registry.ts";
import { type Json, toJson } from "../workers/json-values.ts";

/** How a job must end: its output as the API shows it (JSON), or its error. */
export type Ending = { readonly ok: true; readonly output: Json } | { readonly ok: false; readonly error: { readonly name: string; readonly message: string } };

export interface ChaosJob {
  /** Idempotency key: a submit retried through a fault names the same job. */
  readonly key: string;
  readonly name: string;
  readonly input: Value;
  readonly expected: Ending;
}

type Maker = (r: Random) => { name: string; input: Value };

const WORDS = ["paxos", "ballot", "quorum", "acceptor", "learner", "commander", "slot", "lease", "runner", "stage"];

/** Kinds of job, with weights: mostly work that goes to runners, some of everything else. */
const KINDS: readonly [number, Maker, boolean][] = [
  [3, (r) => ({ name: "shapes/chain", input: { seed: r.int(1_000_000) } }), false],
  [3, (r) => ({ name: "shapes/fanout", input: { seed: r.int(1_000_000) } }), false],
  [2, (r) => ({ name: "shapes/nested", input: { seed: r.int(1_000_000) } }), false],
  [1, (r) => ({ name: "shapes/fails", input: { catchIt: r.chance(0.5) } }), false],
  // Calls of 50-300 ms (spin) and 10-60 ms per run (monte-carlo): long enough that runners are
  // mid-call when they are killed.
  [4, (r) => ({ name: "shapes/spin", input: { iterations: 10_000_000 + r.int(50_000_000), salt: r.int(1_000_000) } }), false],
  [4, (r) => ({ name: "monte-carlo/pi", input: { seed0: r.int(1_000_000), runs: 2 + r.int(4), samplesPerRun: 1_000_000 + r.int(4_000_000) } }), false],
  [2, (r) => ({ name: "word-count", input: { text: Array.from({ length: 30 + r.int(60) }, () => r.pick(WORDS)).join(" "), chunkChars: 40 + r.int(80) } }), false],
  [1, (r) => ({ name: "numeric-pipeline/random", input: { n: 16 + r.int(48), seed: r.int(1_000_000) } }), true],
];

export function expectedEnding(registry: Registry, name: string, input: Value): Ending {
  const local = runLocally(registry, name, input);
  if (local.status === "done") return { ok: true, output: toJson(local.output) };
  if (local.status === "failed") return { ok: false, error: { name: local.error.name, message: local.error.message } };
  throw new Error(`${name} cannot run locally: ${JSON.stringify(local)}`);
}

/** `n` jobs for seed `seed`, their endings computed with `registry`; `simd` false leaves out the SIMD pipeline (no gpu-runner). */
export function workload(registry: Registry, seed: number, n: number, simd: boolean): ChaosJob[] {
  const missing = [...new Set(KINDS.map(([, make]) => make(new Random(0)).name))].filter((name) => !findJob(registry, name));
  if (missing.length > 0) throw new Error(`the chaos workload needs the jobs ${missing.join(", ")}, which this registry lacks (test/shared/registry.ts has them)`);
  const r = new Random(seed);
  const kinds = KINDS.filter(([, , needsSimd]) => simd || !needsSimd);
  const total = kinds.reduce((sum, [w]) => sum + w, 0);
  return Array.from({ length: n }, (_, i) => {
    let pick = r.next() * total;
    const [, make] = kinds.find(([w]) => (pick -= w) < 0) ?? kinds[kinds.length - 1]!;
    const { name, input } = make(r);
    return { key: `chaos-${seed}-${i}`, name, input, expected: expectedEnding(registry, name, input) };
  });
}

/** What a job's view (GET /v1/jobs/:id) says about its ending. */
export interface Observed {
  readonly status: string;
  readonly output?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
}

/**
 * Whether a job ended as it should. SIMD kernels add in another order on a GPU than the CPU
 * reference: their outputs may differ in the last bits (a relative 1e-3 is allowed).
 */
export function endedRight(job: ChaosJob, seen: Observed): boolean {
  if (!job.expected.ok) return seen.status === "failed" && seen.error?.name === job.expected.error.name && seen.error.message === job.expected.error.message;
  if (seen.status !== "done") return false;
  const want = job.expected.output;
  if (job.name.startsWith("numeric-pipeline") && typeof want === "number" && typeof seen.output === "number") {
    return Math.abs(seen.output - want) <= 1e-3 * Math.max(1, Math.abs(want));
  }
  return isDeepStrictEqual(seen.output, want);
}
