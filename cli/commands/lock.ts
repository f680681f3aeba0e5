/**
 * `paxflow lock`: records the code digest of every stage version and job (core/check/code-digest.ts)
 * in paxflow.lock.json, committed like a package lock. `paxflow check` (and the build) then
 * refuses a stage whose code changed under the same version; the registry reads the same file
 * at run time (core/sdk/code-identity.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { formatLock, LOCK_FILE, updateLock } from "../../core/check/lock.ts";
import { isPaxflowRepository } from "../package-root.ts";
import { checkPaths, lockPathFor, readLock } from "./check.ts";
import { APP_SOURCES } from "./deploy.ts";

interface LockFlags {
  lock?: string;
  update?: boolean;
  prune?: boolean;
  allowModule: string[];
}

/** What `paxflow lock` checks when given no paths: an app's src/, or in paxflow's repository the examples its Worker bundles (their registry imports kernels/). */
const defaultLocked = (): string[] => (isPaxflowRepository(process.cwd()) ? ["examples"] : APP_SOURCES);

export const lockCommand = new Command("lock")
  .description(`record each stage version's and job's code digest in ${LOCK_FILE} (commit it); \`paxflow check\` then refuses a stage whose code changed under the same version`)
  .argument("[paths...]", `files or directories holding the stages and jobs (default: src; in paxflow's repository: examples)`)
  .option("--lock <file>", `the lock file (default: ${LOCK_FILE} in the first path given)`)
  .option("--update", "replace the digest of a stage version whose code changed (only when that version never ran anywhere: otherwise bump its version)")
  .option("--prune", "drop the entries of stage versions and jobs no longer defined")
  .option("--allow-module <specifier>", "as for `paxflow check` (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
  .addHelpText(
    "after",
    [
      "",
      "Adds the digests of new stage and job versions; a version already locked with other code is an error (exit 1,",
      "nothing written) unless --update: bump its version instead (docs/versions.md).",
      "",
      "Exit status: 0 locked (or already up to date), 1 a stage or job version changed code, 2 bad arguments.",
      "",
      "Examples:",
      "  npx paxflow lock",
      "  npx paxflow lock src --update",
    ].join("\n"),
  )
  .action((paths: string[], flags: LockFlags) => {
    process.exitCode = runLock(paths.length > 0 ? paths : defaultLocked(), flags);
  });

export function runLock(paths: readonly string[], flags: LockFlags, say: (line: string) => void = (line) => console.error(line)): number {
  const result = checkPaths(paths, flags);
  if (result === "missing") return 2;
  const file = lockPathFor(paths, flags.lock);
  const previous = readLock(file);
  if (previous !== undefined && "error" in previous) {
    say(`error: ${previous.error}`);
    return 2;
  }
  const rel = (f: string) => path.relative(process.cwd(), f) || f;
  const outcome = updateLock(previous, result.code, flags);
  for (const e of outcome.errors) say(`${rel(e.file)}:${e.line}:${e.column} ${e.rule} ${e.message}`);
  if (outcome.errors.length > 0) {
    say(`error: ${file} not written`);
    return 1;
  }
  for (const c of outcome.unlocked) say(`${rel(c.file)}:${c.line} not locked: ${c.kind} ${c.name} (its name or version is not a constant)`);
  for (const line of outcome.added) say(`added ${line}`);
  for (const line of outcome.replaced) say(`replaced ${line}`);
  for (const line of outcome.pruned) say(`pruned ${line}`);
  const text = formatLock(outcome.lock);
  const old = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
  if (old === text) {
    say(`${rel(file)} is up to date (${Object.keys(outcome.lock.stages).length} stage versions, ${Object.keys(outcome.lock.jobs).length} jobs)`);
    return 0;
  }
  fs.writeFileSync(file, text);
  say(`wrote ${rel(file)} (${Object.keys(outcome.lock.stages).length} stage versions, ${Object.keys(outcome.lock.jobs).length} jobs)`);
  return 0;
}
