/** The `paxflow` command and its subcommands (cli/main.ts runs it; tests parse documented command lines with it). */
import { Command } from "commander";
import { benchCommand } from "./commands/bench.ts";
import { chaosCommand } from "./commands/chaos.ts";
import { checkCommand } from "./commands/check.ts";
import { clientCommands } from "./commands/client.ts";
import { deployCommand } from "./commands/deploy.ts";
import { devCommand } from "./commands/dev.ts";
import { lockCommand } from "./commands/lock.ts";
import { runnerSecretCommand } from "./commands/runner-secret.ts";
import { simCommand } from "./commands/sim.ts";
import { simulateCommand } from "./commands/simulate.ts";

export const program = new Command("paxflow")
  .description("fault-tolerant, cost-aware orchestrator for pure coroutine stages on Cloudflare Workers")
  .showHelpAfterError()
  .addCommand(benchCommand)
  .addCommand(chaosCommand)
  .addCommand(checkCommand)
  .addCommand(deployCommand)
  .addCommand(devCommand)
  .addCommand(lockCommand)
  .addCommand(runnerSecretCommand)
  .addCommand(simCommand)
  .addCommand(simulateCommand);
for (const command of clientCommands) program.addCommand(command);
