/**
 * The command lines the docs show must keep working as the CLI changes: every `npx paxflow ...`
 * line in a shell block of the README and the guides names a real command, with flags it
 * accepts and values its parsers take; every `npm run <script>` names a script. (Running them
 * for real is the e2e tests' job: test/e2e/cli.test.ts runs the README's CLI examples.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { program } from "../../cli/repo-program.ts";
import { gpuRunnerCommand } from "../../gpu-runners/gpu-runner-options.ts";
import { cpuRunnerCommand } from "../../runners/cpu-runner-options.ts";
import { DOCS, ROOT, shellLines } from "../shared/doc-blocks.ts";

/** Shell words: quotes kept together, a trailing comment dropped. */
function words(line: string): string[] {
  const out: string[] = [];
  let word = "";
  let quote: string | null = null;
  let inWord = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "#" && !inWord) break;
    else if (/\s/.test(ch)) {
      if (inWord) out.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(word);
  return out;
}

/** Command lines in the docs' shell blocks (env assignments and `npx` dropped). */
function commandLines(): { file: string; line: string; argv: string[] }[] {
  const found: { file: string; line: string; argv: string[] }[] = [];
  for (const file of DOCS) {
    for (const line of shellLines(file)) {
      let argv = words(line);
      while (argv.length && /^[A-Z_]+=/.test(argv[0]!)) argv = argv.slice(1);
      if (argv[0] === "npx" && argv[1] === "paxflow") found.push({ file, line, argv: argv.slice(2) });
      else if (argv[0] === "npm" && argv[1] === "run") found.push({ file, line, argv: ["npm-run", argv[2]!] });
    }
  }
  return found;
}

/** Parses argv against the command tree without running anything: throws what the CLI would print. */
function parse(argv: readonly string[]): void {
  let command: Command = program;
  let rest = [...argv];
  for (;;) {
    const sub = command.commands.find((c) => c.name() === rest[0]);
    if (!sub) break;
    command = sub;
    rest = rest.slice(1);
  }
  if (command === program) throw new Error(`no command "${rest[0]}"`);
  // `paxflow runner [--gpu]` passes the rest to the runner program: check it against that one's flags.
  if (command.name() === "runner") {
    command = rest.includes("--gpu") ? gpuRunnerCommand() : cpuRunnerCommand();
    rest = rest.filter((arg) => arg !== "--gpu");
  }
  command.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  const { unknown } = command.parseOptions(rest);
  if (unknown.length > 0) throw new Error(`unknown option ${unknown[0]} for "${command.name()}"`);
}

describe("command lines in the docs", () => {
  const lines = commandLines();
  const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

  it("finds the CLI lines of the README and the guides", () => {
    expect(lines.filter((l) => l.argv[0] !== "npm-run").length).toBeGreaterThan(15);
  });

  it("would catch a line that drifted: an unknown command, an unknown flag, a bad value", () => {
    expect(() => parse(["frobnicate"])).toThrow(/no command "frobnicate"/);
    expect(() => parse(["jobs", "--bogus"])).toThrow(/unknown option --bogus/);
    expect(() => parse(["jobs", "--limit", "0"])).toThrow(/expected an integer from 1 to 500/);
  });

  it.each(lines.map((l) => [`${l.file}: ${l.line}`, l] as const))("%s", (_name, { argv }) => {
    if (argv[0] === "npm-run") {
      expect(Object.keys(scripts)).toContain(argv[1]);
      return;
    }
    try {
      parse(argv);
    } catch (error) {
      throw new Error(error instanceof CommanderError ? error.message : (error as Error).message);
    }
  });
});

describe("the CLI's help", () => {
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  it.each(all(program).filter((c) => c !== program).map((c) => [c.name(), c] as const))("%s --help shows an example", (_name, command) => {
    let help = "";
    command.configureOutput({ writeOut: (text) => (help += text) });
    command.outputHelp();
    // An example of its own, or (for a group) its subcommands listed to pick from.
    expect(help).toMatch(/Examples?:\n\s+(npx paxflow|npm run|RUNNER_KEY=)/);
  });
});
