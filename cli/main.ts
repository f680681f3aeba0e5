import { ConfigError } from "../core/paxos/index.ts";
import { program } from "./program.ts";

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Input the user can fix gets one clear line; anything else is a bug and keeps its stack.
  if (!(error instanceof ConfigError)) throw error;
  console.error(`error: ${error.message}`);
  process.exitCode = 2;
}
