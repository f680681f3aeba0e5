import { Command } from "commander";
import { ConfigError } from "../../core/paxos/index.ts";
import { deriveRunnerSecret } from "../../runtime/runner-signature.ts";

/**
 * `paxflow runner-secret <id>`: the secret a runner with that id signs its requests with,
 * derived from the plane's RUNNER_KEY (read from the environment, never from a flag, so it does
 * not land in shell history or `ps`). Give it to the runner as PAXFLOW_RUNNER_SECRET.
 */
export const runnerSecretCommand = new Command("runner-secret")
  .description("print the secret a runner signs its requests with (PAXFLOW_RUNNER_SECRET), derived from RUNNER_KEY in the environment")
  .argument("<id>", "the runner's node id (its --id)")
  .addHelpText("after", "\nExamples:\n  RUNNER_KEY=<the plane's key> npx paxflow runner-secret cpu-eu-1")
  .action(async (id: string) => {
    const key = process.env.RUNNER_KEY?.trim();
    if (!key) throw new ConfigError("set RUNNER_KEY in the environment to the plane's key (the value of `wrangler secret put RUNNER_KEY`)");
    if (id.trim() === "") throw new ConfigError("the runner id must not be empty");
    console.log(await deriveRunnerSecret(key, id));
  });
