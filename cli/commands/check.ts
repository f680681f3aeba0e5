import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { type CheckResult, checkFiles } from "../../core/check/index.ts";
import { LOCK_FILE, parseLock, verifyLock } from "../../core/check/lock.ts";
import type { CodeLock } from "../../core/sdk/code-identity.ts";

export interface CheckFlags {
  json?: boolean;
  /** The lock file to verify the code digests against (default: LOCK_FILE in the first path given, if there is one). */
  lock?: string;
  allowConsole?: boolean;
  allowModule: string[];
  quietOk?: boolean;
}

const SOURCE = /\.(?:[cm]?ts|tsx|[cm]?js|jsx)$/;
const DECLARATION = /\.d\.[cm]?ts$/;

/** Source files under a directory, skipping node_modules and dot-directories, in a stable order. */
function sourcesUnder(dir: string, out: string[]): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) sourcesUnder(full, out);
    else if (entry.isFile() && SOURCE.test(entry.name) && !DECLARATION.test(entry.name)) out.push(full);
  }
}

const toPosix = (p: string): string => p.split(path.sep).join("/");

export const checkCommand = new Command("check")
  .description("statically check stages and jobs: purity of stage code and job bodies, yields, cost models, timeouts, capabilities, job cycles, and code digests against paxflow.lock.json")
  .argument("[paths...]", "files or directories to check (default: the working directory)")
  .option("--json", "print { files, diagnostics, code } as JSON (code: each stage's and job's code digest)")
  .option("--allow-console", "allow console.* in pure code")
  .option("--allow-module <specifier>", "a bare module pure code may import besides paxflow (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
  .option("--lock <file>", `the lock file of code digests to verify against (default: ${LOCK_FILE} in the first path given, when it exists)`)
  .option("--quiet-ok", "print nothing when there are no diagnostics")
  .addHelpText("after", "\nExit status: 0 clean (warnings allowed), 1 errors found (a stage version whose code changed since `paxflow lock` is one), 2 bad arguments.\n\nExamples:\n  npx paxflow check examples\n  npx paxflow check src/stages.ts --json --allow-module lodash-es")
  .action((paths: string[], flags: CheckFlags) => {
    const outcome = runCheck(paths, flags);
    process.exitCode = outcome === "missing" ? 2 : outcome.errors > 0 ? 1 : 0;
  });

/** The lock file for these paths: the flag, else LOCK_FILE in the first path (a directory, or a file's directory). */
export function lockPathFor(paths: readonly string[], flag: string | undefined): string {
  if (flag !== undefined) return flag;
  const first = paths[0] ?? ".";
  const dir = fs.existsSync(first) && fs.statSync(first).isDirectory() ? first : path.dirname(first);
  return path.join(dir, LOCK_FILE);
}

/** The lock at `file`: undefined when there is none, an Error's message when it is not a lock. */
export function readLock(file: string): CodeLock | undefined | { error: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    return parseLock(text);
  } catch (error) {
    return { error: `${file}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Runs the checker over `paths` (files or directories; default the working directory); "missing" when one does not exist (said on stderr). */
export function checkPaths(paths: readonly string[], flags: Pick<CheckFlags, "allowConsole" | "allowModule">): CheckResult | "missing" {
  const roots: string[] = [];
  for (const p of paths.length > 0 ? paths : ["."]) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      console.error(`error: no such file or directory: ${p}`);
      return "missing";
    }
    if (stat.isDirectory()) sourcesUnder(p, roots);
    else roots.push(p);
  }
  const absolute = [...new Set(roots.map((r) => toPosix(path.resolve(r))))];
  return checkFiles(
    absolute,
    {
      readFile: (f) => {
        try {
          return fs.readFileSync(f, "utf8");
        } catch {
          return undefined;
        }
      },
    },
    { allowConsole: flags.allowConsole, allowModules: flags.allowModule },
  );
}

/**
 * Checks `paths` (files or directories; default the working directory) and prints the
 * diagnostics as `check` does, the code digests verified against the lock file when there is
 * one; "missing" when a path (or a lock named by --lock) does not exist (already said on stderr).
 */
export function runCheck(paths: readonly string[], flags: CheckFlags, print: (line: string) => void = console.log): { errors: number; warnings: number; files: number } | "missing" {
  const result = checkPaths(paths, flags);
  if (result === "missing") return "missing";
  const lockFile = lockPathFor(paths, flags.lock);
  const lock = readLock(lockFile);
  if (lock === undefined && flags.lock !== undefined) {
    console.error(`error: no such lock file: ${flags.lock}`);
    return "missing";
  }
  if (lock !== undefined && "error" in lock) {
    console.error(`error: ${lock.error}`);
    return "missing";
  }
  if (lock) result.diagnostics.push(...verifyLock(lock, result.code));
  const rel = (f: string): string => toPosix(path.relative(process.cwd(), f)) || f;
  const diagnostics = result.diagnostics.map((d) => ({ ...d, file: rel(d.file) }));
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  if (flags.json) {
    print(JSON.stringify({ files: result.files.map(rel), diagnostics, code: result.code.map((c) => ({ ...c, file: rel(c.file) })) }, null, 2));
  } else {
    for (const d of diagnostics) {
      print(`${d.file}:${d.line}:${d.column} ${d.rule} ${d.severity === "warning" ? "warning: " : ""}${d.message}`);
    }
    if (diagnostics.length > 0 || !flags.quietOk) {
      console.error(`checked ${result.files.length} file${result.files.length === 1 ? "" : "s"}: ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}${lock ? `; code digests against ${rel(path.resolve(lockFile))}` : ""}`);
    }
  }
  return { errors, warnings, files: result.files.length };
}
