import { Command, InvalidArgumentError, Option } from "commander";
import { benchConsensus } from "../../bench/consensus.ts";
import { SHAPES, type Shape, benchJobs, defaultOut } from "../../bench/jobs.ts";
import { compareJobs } from "../../bench/jobs-compare.ts";
import { LOAD_CASES, type LoadCase, benchLoad, defaultLoadOut } from "../../bench/load.ts";
import type { StageWorkerPlacement } from "../local-cluster.ts";
import { DEFAULT_SIZES_MB, benchPayload, defaultPayloadOut } from "../../bench/payload.ts";
import { CASES, type Case, benchScale, defaultScaleOut } from "../../bench/scale.ts";
import { intOption } from "../options.ts";
import { varFlag } from "../dev-vars.ts";

interface ConsensusBenchFlags {
  acceptors: number[];
  samples: number;
  warmup: number;
  loop: number;
  clients: number;
  commands: number;
  out: string;
  json?: boolean;
}

const acceptorList = (raw: string): number[] => raw.split(",").map((part) => intOption(1, 15)(part.trim()));

const consensus = new Command("consensus")
  .description("commit latency and throughput of the command plane in local workerd, as ratios to one Durable Object RPC + SQLite write")
  .option("--acceptors <list>", "acceptor-set sizes to measure, comma-separated", acceptorList, [3, 5])
  .option("--samples <n>", "timed requests per latency figure", intOption(10), 1000)
  .option("--warmup <n>", "untimed requests first", intOption(0), 200)
  .option("--loop <n>", "operations in the in-Worker mean-latency loop", intOption(10), 2000)
  .option("--clients <n>", "concurrent clients for throughput", intOption(1, 1024), 32)
  .option("--commands <n>", "commands per throughput run", intOption(100), 20_000)
  .option("--out <file>", "where the JSON results go", "bench/results/consensus.json")
  .option("--json", "print the JSON results instead of the tables")
  .addHelpText("after", "\nExamples:\n  npm run bench:consensus\n  npx paxflow bench consensus --acceptors 3 --samples 300 --json")
  .action(async (flags: ConsensusBenchFlags) => {
    process.env.WRANGLER_SEND_METRICS = "false";
    process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
    const { rows, text } = await benchConsensus({ ...flags, log: (line) => process.stderr.write(`${line}\n`) });
    console.log(flags.json ? JSON.stringify(rows, null, 2) : text);
    console.error(`results written to ${flags.out}`);
  });

interface JobsBenchFlags {
  /** "all" only as the default (commander does not parse defaults). */
  shape: Shape[] | "all";
  samples: number;
  warmup: number;
  warmupLoad: number;
  jobs: number;
  concurrency: number;
  events: number;
  config: string;
  profile?: boolean;
  phases: boolean;
  gzip?: boolean;
  /** true when the flag comes without a revision. */
  against?: string | true;
  out?: string;
  json?: boolean;
}

/** Parses a comma-separated list of `names` (in the order given), or "all". */
const nameList =
  <T extends string>(names: readonly T[]) =>
  (raw: string): T[] | "all" => {
    if (raw === "all") return "all";
    return raw.split(",").map((part) => {
      const name = part.trim();
      if ((names as readonly string[]).includes(name)) return name as T;
      throw new InvalidArgumentError(`expected ${[...names, "all"].join(", ")}, got "${name}"`);
    });
  };

const jobs = new Command("jobs")
  .description("job latency, throughput, log entries and per-stage overhead of the real Worker and Durable Objects in local workerd")
  .option("--shape <shape>", `job shape to measure: ${SHAPES.join(", ")} or all (comma-separated for an order)`, nameList(SHAPES), "all")
  .option("--samples <n>", "timed sequential jobs per shape (latency)", intOption(10), 300)
  .option("--warmup <n>", "untimed sequential jobs per shape before its timed ones", intOption(0), 50)
  .option("--warmup-load <n>", "untimed jobs per shape from --concurrency clients at the start", intOption(0), 500)
  .option("--jobs <n>", "jobs per throughput run", intOption(1), 2_000)
  .option("--concurrency <n>", "concurrent clients for throughput", intOption(1, 1024), 32)
  .option("--events <n>", "jobs whose event stream is read to count decisions", intOption(0), 20)
  .option("--config <file>", "wrangler config whose bindings and [vars] the Worker gets", "wrangler.toml")
  .option("--gzip", "accept gzip replies, as Node's fetch does by default (local workerd then compresses each one on the benchmark's cores)")
  .option("--no-phases", "skip the layer-by-layer breakdown (a second cluster with bench/jobs-worker.ts)")
  .option("--profile", "also profile workerd's CPU (V8 inspector) over extra runs; .cpuprofile files go beside the JSON")
  .option("--against [rev]", "instead, run the benchmark in a checkout of this git revision (default HEAD~1) and here, shape by shape in turns, and compare the main figures")
  .option("--out <file>", "where the JSON results go (default bench/results/jobs-<timestamp>.json)")
  .option("--json", "print the JSON results instead of the tables")
  .addHelpText("after", "\nExamples:\n  npm run bench:jobs\n  npx paxflow bench jobs --shape chain --samples 100 --jobs 500 --json\n  npm run bench:jobs -- --against main --no-phases")
  .action(async (flags: JobsBenchFlags) => {
    process.env.WRANGLER_SEND_METRICS = "false";
    process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
    if (flags.against !== undefined) {
      const passed = [
        ...["--samples", flags.samples, "--warmup", flags.warmup, "--warmup-load", flags.warmupLoad, "--jobs", flags.jobs, "--concurrency", flags.concurrency, "--events", flags.events, "--config", flags.config].map(String),
        ...(flags.phases ? [] : ["--no-phases"]),
        ...(flags.gzip ? ["--gzip"] : []),
      ];
      const { text, out } = await compareJobs({
        against: flags.against === true ? "HEAD~1" : flags.against,
        shapes: flags.shape === "all" ? SHAPES : flags.shape,
        args: passed,
        timeoutMs: 3_600_000,
        out: flags.out ?? defaultOut(),
        log: (line) => process.stderr.write(`${line}\n`),
      });
      console.log(text);
      console.error(`results written to ${out}`);
      return;
    }
    const { results, text, out } = await benchJobs({
      shapes: flags.shape === "all" ? SHAPES : flags.shape,
      samples: flags.samples,
      warmup: flags.warmup,
      warmupLoad: flags.warmupLoad,
      jobs: flags.jobs,
      concurrency: flags.concurrency,
      eventSamples: flags.events,
      config: flags.config,
      profile: flags.profile ?? false,
      gzip: flags.gzip ?? false,
      phases: flags.phases,
      out: flags.out ?? defaultOut(),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    console.log(flags.json ? JSON.stringify(results, null, 2) : text);
    console.error(`results written to ${out}`);
  });

interface GpuBenchFlags {
  backend: "auto" | "vulkan" | "opengl" | "metal" | "d3d12";
  reps: number;
  stage?: string[];
  maxElements?: number;
  out?: string;
  json?: boolean;
}

const gpu = new Command("gpu")
  .description("each SIMD kernel on this machine's WebGPU adapter against its CPU reference run(), 2^10..2^22 elements (matmul n = 64..1024)")
  .addOption(new Option("--backend <name>", "WebGPU backend, as the gpu-runner picks it").choices(["auto", "vulkan", "opengl", "metal", "d3d12"]).default("auto"))
  .option("--reps <n>", "timed repetitions per point at least (more, up to 30, within a second)", intOption(1, 1_000), 5)
  .option("--stage <refs>", "only these stages (comma-separated name@version)", (raw: string) => raw.split(",").map((s) => s.trim()))
  .option("--max-elements <n>", "skip inputs larger than this many elements per array (matmul: n*n)", intOption(1))
  .option("--out <file>", "where the JSON results go (default bench/results/gpu-<timestamp>.json)")
  .option("--json", "print the JSON results instead of the table")
  .addHelpText("after", "\nExamples:\n  npm run bench:gpu\n  npx paxflow bench gpu --stage simd/map@1,simd/matmul@1 --max-elements 65536 --json")
  .action(async (flags: GpuBenchFlags) => {
    process.env.EGL_PLATFORM ??= "surfaceless";
    // Loaded here: other commands need neither Dawn nor the kernels.
    const { benchGpu, defaultGpuOut } = await import("../../bench/gpu.ts");
    const { results, text, out } = await benchGpu({
      backend: flags.backend,
      reps: flags.reps,
      ...(flags.stage ? { stages: flags.stage } : {}),
      ...(flags.maxElements ? { maxElements: flags.maxElements } : {}),
      out: flags.out ?? defaultGpuOut(),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    console.log(flags.json ? JSON.stringify(results, null, 2) : text);
    console.error(`results written to ${out}`);
  });

interface ScaleBenchFlags {
  /** "all" only as the default (commander does not parse defaults). */
  case: Case[] | "all";
  quick?: boolean;
  /** true when the flag comes without a revision. */
  against?: string | true;
  runs: number;
  timeout: number;
  out?: string;
  json?: boolean;
}

const scale = new Command("scale")
  .description("how a job's cost grows with its size (chain, fan-out on runners, the dag example), in Node over in-memory acceptors; optionally beside another git revision")
  .option("--case <name>", `cases to measure: ${CASES.join(", ")} or all (comma-separated)`, nameList(CASES), "all")
  .option("--quick", "smaller sizes only (chain up to 2,000 calls, fan-out 1,000, dag 500)")
  .option("--against [rev]", "also measure this git revision (default HEAD~1), each figure right beside this tree's")
  .option("--runs <n>", "runs per figure and side; the median is shown", intOption(1, 100), 1)
  .option("--timeout <s>", "seconds before one run counts as \"timeout\"", intOption(1), 120)
  .option("--out <file>", "where the JSON results go (default bench/results/scale-<timestamp>.json)")
  .option("--json", "print the JSON rows instead of the table")
  .addHelpText("after", "\nExamples:\n  npm run bench:scale -- --quick --against HEAD~1\n  npx paxflow bench scale --case chain,dag --against main --runs 3")
  .action(async (flags: ScaleBenchFlags) => {
    const { rows, text, out } = await benchScale({
      cases: flags.case === "all" ? CASES : flags.case,
      quick: flags.quick ?? false,
      ...(flags.against === undefined ? {} : { against: flags.against === true ? "HEAD~1" : flags.against }),
      runs: flags.runs,
      timeoutMs: flags.timeout * 1_000,
      out: flags.out ?? defaultScaleOut(),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    console.log(flags.json ? JSON.stringify(rows, null, 2) : text);
    console.error(`results written to ${out}`);
  });

interface LoadBenchFlags {
  /** "all" only as the default (commander does not parse defaults). */
  case: LoadCase[] | "all";
  dag: number;
  fanout: number;
  jobs: number;
  clients: number;
  /** true when the flag comes without a revision. */
  against?: string | true;
  timeout: number;
  var?: Record<string, string>;
  samples?: number;
  stageWorker: StageWorkerPlacement;
  out?: string;
  json?: boolean;
}

const load = new Command("load")
  .description("the local cluster (workerd via wrangler dev, two CPU runners) under a big job and a soak of small ones, as users see it: /v1/cluster latency, leader changes, memory, results kept; optionally beside another git revision")
  .option("--case <name>", `cases to measure: ${LOAD_CASES.join(", ")} or all (comma-separated)`, nameList(LOAD_CASES), "all")
  .option("--dag <n>", "tasks in the dag chain", intOption(2), 2_000)
  .option("--fanout <n>", "sample calls of the monte-carlo/pi fan-out", intOption(1), 10_000)
  .option("--jobs <n>", "small jobs (shapes/chain) in the soak", intOption(100), 100_000)
  .option("--clients <n>", "concurrent clients in the soak", intOption(1, 1024), 32)
  .option("--against [rev]", "also measure this git revision (default HEAD~1), each case right beside this tree's")
  .option("--var <KEY=VALUE>", "a Worker variable for every cluster of the run, both sides (e.g. WORKER_SLOTS=1); repeatable", varFlag)
  .option("--samples <n>", "samples per fan-out call (default 100,000: about 2 ms of computing)", intOption(1))
  .addOption(new Option("--stage-worker <where>", "where the stage Worker runs: shared, or apart (a workerd of its own; a revision older than the option runs it shared)").choices(["shared", "apart"]).default("shared"))
  .option("--timeout <s>", "seconds before one case counts as \"timeout\"", intOption(1), 3_600)
  .option("--out <file>", "where the JSON results go (default bench/results/load-<timestamp>.json)")
  .option("--json", "print the JSON figures instead of the table")
  .addHelpText("after", "\nExamples:\n  npm run bench:load -- --against main\n  npx paxflow bench load --case dag,fanout --dag 500 --fanout 1000\n  npx paxflow bench load --case soak --jobs 10000\n  npx paxflow bench load --case fanout --fanout 3000 --var WORKER_SLOTS=1 --against HEAD~1\n  npx paxflow bench load --case fanout --fanout 300 --samples 2000000 --stage-worker apart")
  .action(async (flags: LoadBenchFlags) => {
    process.env.WRANGLER_SEND_METRICS = "false";
    const { cases, text, out } = await benchLoad({
      cases: flags.case === "all" ? LOAD_CASES : flags.case,
      bigN: { dag: flags.dag, fanout: flags.fanout },
      soakJobs: flags.jobs,
      clients: flags.clients,
      ...(flags.against === undefined ? {} : { against: flags.against === true ? "HEAD~1" : flags.against }),
      vars: flags.var ?? {},
      ...(flags.samples === undefined ? {} : { samplesPerRun: flags.samples }),
      stageWorker: flags.stageWorker,
      timeoutMs: flags.timeout * 1_000,
      out: flags.out ?? defaultLoadOut(),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    console.log(flags.json ? JSON.stringify(cases, null, 2) : text);
    console.error(`results written to ${out}`);
  });

interface PayloadBenchFlags {
  sizes: number[];
  /** true when the flag comes without a revision. */
  against?: string | true;
  runs: number;
  timeout: number;
  out?: string;
  json?: boolean;
}

const sizeList = (raw: string): number[] => raw.split(",").map((part) => intOption(1, 256)(part.trim()));

const payload = new Command("payload")
  .description("a large stage payload end to end on the local cluster (workerd, one CPU runner), with GET /v1/cluster's latency meanwhile; optionally beside another git revision")
  .option("--sizes <list>", "payload sizes in MB, comma-separated", sizeList, [...DEFAULT_SIZES_MB])
  .option("--against [rev]", "also measure this git revision (default HEAD~1), each run right beside this tree's")
  .option("--runs <n>", "runs per side (each with a cluster of its own); the median time is shown", intOption(1, 20), 1)
  .option("--timeout <s>", "seconds before one run of a side counts as \"timeout\"", intOption(1), 600)
  .option("--out <file>", "where the JSON results go (default bench/results/payload-<timestamp>.json)")
  .option("--json", "print the JSON rows instead of the table")
  .addHelpText("after", "\nExamples:\n  npm run bench:payload -- --against main\n  npx paxflow bench payload --sizes 5,20 --runs 3")
  .action(async (flags: PayloadBenchFlags) => {
    const { rows, text, out } = await benchPayload({
      sizesMb: flags.sizes,
      ...(flags.against === undefined ? {} : { against: flags.against === true ? "HEAD~1" : flags.against }),
      runs: flags.runs,
      timeoutMs: flags.timeout * 1_000,
      out: flags.out ?? defaultPayloadOut(),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    console.log(flags.json ? JSON.stringify(rows, null, 2) : text);
    console.error(`results written to ${out}`);
  });

export const benchCommand = new Command("bench")
  .description("reproducible benchmarks (tables on stdout, JSON in bench/results/)")
  .addCommand(consensus)
  .addCommand(jobs)
  .addCommand(gpu)
  .addCommand(scale)
  .addCommand(load)
  .addCommand(payload)
  .addHelpText("after", "\nExamples:\n  npx paxflow bench consensus\n  npx paxflow bench jobs --shape chain --samples 100 --jobs 500\n  npx paxflow bench gpu\n  npx paxflow bench scale --quick --against HEAD~1\n  npx paxflow bench load --against main\n  npx paxflow bench payload --against main");
