/**
 * The `paxflow` command and the subcommands the published package has (cli/main.ts runs it).
 * This repository's own tools (bench, chaos) join it in cli/repo-program.ts.
 */
import { Command } from "commander";
import { checkCommand } from "./commands/check.ts";
import { clientCommands } from "./commands/client.ts";
import { deployCommand } from "./commands/deploy.ts";
import { devCommand } from "./commands/dev.ts";
import { initCommand } from "./commands/init.ts";
import { lockCommand } from "./commands/lock.ts";
import { runnerCommand } from "./commands/runner.ts";
import { runnerSecretCommand } from "./commands/runner-secret.ts";
import { simCommand } from "./commands/sim.ts";
import { simulateCommand } from "./commands/simulate.ts";

export const program = new Command("paxflow")
  .description("fault-tolerant, cost-aware orchestrator for pure coroutine stages on Cloudflare Workers")
  .showHelpAfterError()
  .addCommand(checkCommand)
  .addCommand(deployCommand)
  .addCommand(devCommand)
  .addCommand(initCommand)
  .addCommand(lockCommand)
  .addCommand(runnerCommand)
  .addCommand(runnerSecretCommand)
  .addCommand(simCommand)
  .addCommand(simulateCommand);
for (const command of clientCommands) program.addCommand(command);
