import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { checkFiles } from "../../core/check/index.ts";

export interface CheckFlags {
  json?: boolean;
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
  .description("statically check stages and jobs: purity of stage code and job bodies, yields, cost models, timeouts, capabilities and job cycles")
  .argument("[paths...]", "files or directories to check (default: the working directory)")
  .option("--json", "print { files, diagnostics } as JSON")
  .option("--allow-console", "allow console.* in pure code")
  .option("--allow-module <specifier>", "a bare module pure code may import besides paxflow (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
  .option("--quiet-ok", "print nothing when there are no diagnostics")
  .addHelpText("after", "\nExit status: 0 clean (warnings allowed), 1 errors found, 2 bad arguments.\n\nExamples:\n  npx paxflow check examples\n  npx paxflow check src/stages.ts --json --allow-module lodash-es")
  .action((paths: string[], flags: CheckFlags) => {
    const outcome = runCheck(paths, flags);
    process.exitCode = outcome === "missing" ? 2 : outcome.errors > 0 ? 1 : 0;
  });

/**
 * Checks `paths` (files or directories; default the working directory) and prints the
 * diagnostics as `check` does; "missing" when a path does not exist (already said on stderr).
 */
export function runCheck(paths: readonly string[], flags: CheckFlags, print: (line: string) => void = console.log): { errors: number; warnings: number; files: number } | "missing" {
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
  const result = checkFiles(
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
  const rel = (f: string): string => toPosix(path.relative(process.cwd(), f)) || f;
  const diagnostics = result.diagnostics.map((d) => ({ ...d, file: rel(d.file) }));
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  if (flags.json) {
    print(JSON.stringify({ files: result.files.map(rel), diagnostics }, null, 2));
  } else {
    for (const d of diagnostics) {
      print(`${d.file}:${d.line}:${d.column} ${d.rule} ${d.severity === "warning" ? "warning: " : ""}${d.message}`);
    }
    if (diagnostics.length > 0 || !flags.quietOk) {
      console.error(`checked ${result.files.length} file${result.files.length === 1 ? "" : "s"}: ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`);
    }
  }
  return { errors, warnings, files: result.files.length };
}
