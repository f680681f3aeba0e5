/**
 * The CPU runner's command line: the common runner flags (cli-common.ts) and its own. Apart
 * from cpu-runner.ts so that `paxflow runner` and the docs' tests know the flags without
 * starting a runner.
 */
import { Command } from "commander";
import { intOption } from "../cli/options.ts";
import { type CommonRunnerFlags, positiveNumber, withCommonRunnerOptions } from "./cli-common.ts";
import { MISBEHAVIOURS, type Misbehaviour, parseMisbehaviour } from "./misbehaviour.ts";

export interface CpuRunnerFlags extends CommonRunnerFlags {
  slots: number;
  speed: number;
  delayMs: number;
  misbehave?: Misbehaviour;
}

export const cpuRunnerCommand = (): Command =>
  withCommonRunnerOptions(new Command("cpu-runner").description("run the CPU implementation of a registry's stages for the paxflow command plane"), "cpu")
    .option("--slots <n>", "calls run at once (stages run on one thread, so more slots overlap only waits)", intOption(1, 1_024), 1)
    .option("--speed <x>", "speed relative to the machine the cost models were written for", positiveNumber, 1)
    .option("--delay-ms <n>", "artificial extra time per call, to emulate a slower node", intOption(0), 0)
    .option("--misbehave <mode>", `misbehave on purpose, for tests and the chaos suite: ${MISBEHAVIOURS}`, parseMisbehaviour);
