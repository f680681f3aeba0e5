/**
 * The whole-state snapshot a shard's leader takes every COMPACT_EVERY slots, with 1,000 finished
 * `shapes/fanout` jobs behind it (bench:jobs' fan-out), in this tree and in another checkout:
 *
 *   node --import tsx bench/snapshot-size.ts [--jobs 1000] [--against /path/to/other/checkout]
 *
 * Runs the jobs through the in-memory shard (runtime/jobs/memory-shard.ts, real in-memory
 * acceptors) of each tree, each in a child process of its own (a fresh heap), then measures what
 * a compaction serialises: the commander's state machine snapshot as JSON, its bytes, and the
 * time to build and encode it (median of 7). Prints a table.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

interface Figures {
  readonly tree: string;
  readonly jobs: number;
  readonly retainedInSnapshot: number;
  readonly bytes: number;
  readonly medianMs: number;
}

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
};

async function measure(root: string, jobs: number): Promise<Figures> {
  const load = (path: string) => import(pathToFileURL(resolve(root, path)).href);
  const { memoryShard, workerBackend } = await load("runtime/jobs/memory-shard.ts");
  // The shapes moved from the examples to the tests (test/shared/registry.ts); an older checkout has them in examples/index.ts.
  const { registry } = await load(existsSync(resolve(root, "test/shared/registry.ts")) ? "test/shared/registry.ts" : "examples/index.ts");
  const { encode } = await load("core/codec.ts");
  const { inlinePayload } = await load("core/jobs/payload.ts");
  const shard = memoryShard({
    registry,
    backends: (payloads: unknown) => ({ worker: workerBackend(registry, payloads), sendToRunner: async () => undefined, probeRunner: async () => ({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }) }),
  });
  for (let n = 0; n < jobs; n++) {
    const reply = await shard.driver().submitJob({ id: `bench-${n}`, name: "shapes/fanout", input: inlinePayload(encode({ seed: n })), waitMs: 60_000, submittedBy: "bench" });
    if (reply.job.status !== "done") throw new Error(`job bench-${n} ended ${reply.job.status}`);
  }
  // What a compaction asks of the machine (StateMachine.snapshot), then encodes for the acceptors.
  const machine = (shard.driver() as unknown as { commander: { applied: { state(): unknown } } }).commander.applied;
  const times: number[] = [];
  let json = "";
  for (let i = 0; i < 7; i++) {
    const started = performance.now();
    json = JSON.stringify(machine.state());
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const state = (JSON.parse(json) as { machine: { jobs: { status: string }[] } }).machine;
  shard.close();
  return { tree: root, jobs, retainedInSnapshot: state.jobs.filter((j) => j.status !== "running").length, bytes: Buffer.byteLength(json), medianMs: times[3]! };
}

const child = arg("child");
const jobs = Number(arg("jobs") ?? 1_000);
if (child) {
  process.stdout.write(JSON.stringify(await measure(child, jobs)));
} else {
  const trees = [arg("against"), process.cwd()].filter((t): t is string => t !== undefined);
  const rows = trees.map((tree) => {
    const out = execFileSync(process.execPath, ["--import", "tsx", resolve("bench/snapshot-size.ts"), "--child", resolve(tree), "--jobs", String(jobs)], { encoding: "utf8", maxBuffer: 1 << 26 });
    return JSON.parse(out) as Figures;
  });
  console.log("| tree | finished jobs run | finished jobs in the snapshot | snapshot bytes | time to take it (median of 7) |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const r of rows) console.log(`| ${r.tree} | ${r.jobs} | ${r.retainedInSnapshot} | ${r.bytes.toLocaleString("en")} | ${r.medianMs.toFixed(1)} ms |`);
}
