import { Command } from "commander";
import { benchConsensus } from "../../bench/consensus.ts";
import { intOption } from "../options.ts";

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

export const benchCommand = new Command("bench").description("reproducible benchmarks (tables on stdout, JSON in bench/results/)").addCommand(consensus);
