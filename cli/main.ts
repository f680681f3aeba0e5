import { existsSync } from "node:fs";
import type { Command } from "commander";
import { ConfigError } from "../core/paxos/index.ts";

// In this repository the CLI also has its bench and chaos tools; the published package (compiled
// to dist/, without them) has only its own commands. A specifier in a variable: the package build
// must not follow it.
const repoProgram = new URL("./repo-program.ts", import.meta.url);
const { program } = (existsSync(repoProgram) ? await import(repoProgram.href) : await import("./program.ts")) as { program: Command };

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Input the user can fix gets one clear line; anything else is a bug and keeps its stack.
  if (!(error instanceof ConfigError)) throw error;
  console.error(`error: ${error.message}`);
  process.exitCode = 2;
}
