import { spawn } from "node:child_process";
import { Command } from "commander";
import { TSX_LOADER, packageScript } from "../package-root.ts";
import { STAGE_PROCESS_ENV } from "../../runners/stage-environment.ts";

/** The runner programs, by source path (package-root.ts packageScript: compiled in an install). */
const RUNNERS = { cpu: "runners/cpu-runner.ts", gpu: "gpu-runners/gpu-runner.ts" } as const;

export const runnerCommand = new Command("runner")
  .description("serve your stages to a paxflow plane: the Node CPU runner, or with --gpu the gpu-runner (WebGPU via Dawn); the other flags are the runner's")
  .option("--gpu", "the gpu-runner: runs the SIMD stages' WebGPU kernels (calibrates them at start-up)")
  .allowUnknownOption()
  .allowExcessArguments()
  .helpOption("-h, --help", "this help; the runner's own flags: paxflow runner [--gpu] --help-runner")
  .addHelpText(
    "after",
    [
      "",
      "The runner loads --registry (your module exporting `registry`, TypeScript or JavaScript) and serves only those stages.",
      "It signs its requests with PAXFLOW_RUNNER_SECRET (npx paxflow runner-secret <id>; docs/deploy.md).",
      "",
      "Examples:",
      "  npx paxflow runner --registry src/stages.ts --api http://127.0.0.1:8787 --id cpu-9 --slots 2",
      "  npx paxflow runner --gpu --registry src/stages.ts --api https://paxflow.example.workers.dev --advertise-url https://gpu-1.example.com",
      "  npx paxflow runner --help-runner",
    ].join("\n"),
  )
  .action((flags: { gpu?: boolean }, command: Command) => {
    const args = command.args.map((arg) => (arg === "--help-runner" ? "--help" : arg));
    // Stages run in UTC and en-US on every backend; the locale only takes at process start (runners/stage-environment.ts).
    const env = { ...process.env, ...STAGE_PROCESS_ENV };
    const child = spawn(process.execPath, ["--import", TSX_LOADER, packageScript(RUNNERS[flags.gpu ? "gpu" : "cpu"]), ...args], { stdio: "inherit", env });
    // The runner stops itself cleanly on these (deregisters, destroys the device): pass them on.
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
    child.on("exit", (code, signal) => {
      process.exitCode = code ?? (signal ? 1 : 0);
    });
  });
