/**
 * The gpu-runner's command line: the common runner flags (cli-common.ts) and its own. Apart from
 * gpu-runner.ts so that `paxflow runner --gpu` and the docs' tests know the flags without
 * opening a device.
 */
import { Command, Option } from "commander";
import { intOption } from "../cli/options.ts";
import { type CommonRunnerFlags, withCommonRunnerOptions } from "../runners/cli-common.ts";
import { BACKENDS, type BackendChoice } from "./device.ts";

export interface GpuRunnerFlags extends CommonRunnerFlags {
  slots: number;
  backend: BackendChoice;
  calibrate: boolean;
  profile?: string;
  saveProfile?: string;
  reps: number;
}

export const gpuRunnerCommand = (): Command =>
  withCommonRunnerOptions(new Command("gpu-runner").description("run the WebGPU kernels of a registry's SIMD stages for the paxflow command plane"), "gpu")
    .option("--slots <n>", "calls accepted at once (the device runs one kernel at a time)", intOption(1, 1_024), 1)
    .addOption(new Option("--backend <name>", "WebGPU backend: auto picks a hardware GPU, else Mesa's software OpenGL").choices([...BACKENDS]).default("auto"))
    .option("--no-calibrate", "skip start-up calibration; needs --profile")
    .option("--profile <file>", "speed profile JSON to register instead of calibrating ({ cpu, simd?, stages? }, or a file --save-profile wrote)")
    .option("--save-profile <file>", "write the calibration (profile and measurements) to this JSON file")
    .option("--reps <n>", "timed repetitions per calibration input", intOption(1, 100), 5);
