/**
 * The `paxflow` command as this repository runs it: the package's commands plus the tools that
 * measure and break paxflow itself (bench, chaos), which need the repository's bench/ and chaos/
 * and are not in the published package. Tests parse documented command lines with it.
 */
import { benchCommand } from "./commands/bench.ts";
import { chaosCommand } from "./commands/chaos.ts";
import { program } from "./program.ts";

program.addCommand(benchCommand).addCommand(chaosCommand);

export { program };
