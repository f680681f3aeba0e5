/**
 * One measurement of `npm run bench:scale`, in a process of its own so that a case that runs
 * too long can be killed and every figure starts from a fresh heap:
 *
 *   node --import tsx bench/scale-case.ts <chain|fanout|dag> <n>     prints {"ms": <number>, "maxPauseMs": <number>}
 *
 * bench/scale.ts runs it in this tree and in a checkout of the revision it compares with, so
 * it imports only modules that older revisions have too (runtime/jobs/memory-shard.ts is copied
 * there when missing) and defines its own jobs rather than relying on the examples'.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { type Step, all, createRegistry, defineJob, defineStage, encode } from "../core/index.ts";
import type { NodeSpec } from "../core/jobs/decisions.ts";
import * as dag from "../examples/dag.ts";
import { localRunners, memoryShard, workerBackend } from "../runtime/jobs/memory-shard.ts";

/** x + 1, declared to take `runtimeMs`: placement runs it inline when cheap, on a runner when not. */
const plusOne = (name: string, runtimeMs: number, timeoutMs: number) =>
  defineStage({ name, version: 1, caps: ["cpu"], timeoutMs, cost: { runtimeMs: () => runtimeMs, outputBytes: () => 9 }, run: (x: number): number => x + 1 });

/** A trivial stage declared cheap enough for the commander to run inline. */
export const step = plusOne("scale/step", 0.001, 1_000);

/**
 * The same work declared slow, so that placement sends it to a runner, never inline. Its timeout is
 * long: a result that waits behind a busy commander must not count as a lost call.
 */
export const remote = plusOne("scale/remote", 50, 600_000);

export const chain = defineJob({
  name: "scale/chain",
  *run(n: number): Step<number> {
    let x = 0;
    for (let i = 0; i < n; i++) x = yield* step(x);
    return x;
  },
});

export const fanout = defineJob({
  name: "scale/fanout",
  *run(n: number): Step<number> {
    const xs = yield* all(Array.from({ length: n }, (_, i) => remote(i)));
    return xs.reduce((s, x) => s + x, 0);
  },
});

/** The `dag` example's input for a chain of n tasks: a constant, then n - 1 negations. */
const dagChain = (n: number): dag.DagInput => ({
  tasks: Array.from({ length: n }, (_, i): dag.Task => (i === 0 ? { id: "t0", op: "const", value: 1, inputs: [] } : { id: `t${i}`, op: "neg", inputs: [`t${i - 1}`] })),
});

const CASES = {
  chain: (n: number) => ({ name: "scale/chain", input: n }),
  fanout: (n: number) => ({ name: "scale/fanout", input: n }),
  dag: (n: number) => ({ name: "dag", input: dagChain(n) }),
};

/** Much faster than the built-in backends: placement sends it most calls (the rest to the stage Worker, which answers asynchronously too). */
const RUNNER: NodeSpec = { id: "runner-0", kind: "runner", url: "http://runner-0.test", caps: ["cpu"], speed: { cpu: 1_000 }, slots: 4, latencyMs: 0.1, bandwidthMBps: 1_000 };
const ADMIN = { kind: "admin", name: "bench" } as const;

/** Runs one job of `kind` with `n` calls after an untimed one of 10 (leader election, JIT); its time in ms. */
async function measure(kind: keyof typeof CASES, n: number): Promise<{ ms: number; maxPauseMs: number }> {
  const registry = createRegistry({ step, remote, chain, fanout }, dag);
  // Verification off: it would run some runner calls twice, which is not what is measured.
  const shard = memoryShard({
    registry,
    verify: { fraction: 0, newNodeCalls: 0 },
    // Each acceptor call a macrotask, as on workerd, so that the longest pause is the longest piece of work.
    macrotaskHops: true,
    backends: (payloads, driver) => ({ worker: workerBackend(registry, payloads), ...localRunners(registry, payloads, driver) }),
  });
  const run = async (id: string, size: number): Promise<void> => {
    const { name, input } = CASES[kind](size);
    const sealed = await shard.payloads.seal({ value: input, bytes: encode(input) });
    await shard.driver().submitJob({ id, name, input: sealed, waitMs: 0, submittedBy: ADMIN.name });
    let job = await shard.driver().getJob(id, ADMIN, 60_000);
    while (job?.status === "running") job = await shard.driver().getJob(id, ADMIN, 60_000);
    if (job?.status !== "done") throw new Error(`job ${id} ended ${job?.status}: ${JSON.stringify(job?.error)}`);
  };
  try {
    if (kind === "fanout") await shard.driver().registerNode(RUNNER, Date.now());
    await run("warm-up", 10);
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const started = performance.now();
    await run("measured", n);
    const ms = performance.now() - started;
    lag.disable();
    // The longest the thread was held: on workerd it serves the API and every Durable Object meanwhile.
    // No sample at all: the event loop never turned while the job ran (a revision without macrotask hops).
    return { ms, maxPauseMs: lag.count === 0 ? ms : lag.max / 1e6 };
  } finally {
    shard.close();
  }
}

const [kind, n] = [process.argv[2], Number(process.argv[3])];
if (!(kind! in CASES) || !Number.isInteger(n) || n < 1) throw new Error(`usage: scale-case.ts <${Object.keys(CASES).join("|")}> <n>`);
process.stdout.write(`${JSON.stringify(await measure(kind as keyof typeof CASES, n))}\n`);
// Timers the shard leaves behind (leases, retries) must not hold the process open.
process.exit(0);
