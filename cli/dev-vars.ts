/**
 * Local secrets the Cloudflare way, for `paxflow dev`: `.dev.vars` beside wrangler.toml (the file
 * `wrangler dev` reads: KEY=VALUE lines, # comments, optional quotes), the environment, and
 * `--var KEY=VALUE` flags.
 *
 * For the secrets the cluster must know itself (LOCAL_SECRETS: it signs as its runners with
 * RUNNER_KEY and names the API_TOKENS it accepts), the first of these that sets one wins:
 * `--var`, the environment, `.dev.vars`. That is wrangler's own order: its `--var` overrides
 * every file, and where it reads the environment (CLOUDFLARE_INCLUDE_PROCESS_ENV) the environment
 * overrides the files. An empty value counts as not set. Other keys of `.dev.vars` reach the
 * Worker the way wrangler dev gives them (it reads the file itself); other `--var`s are passed on.
 */
import { InvalidArgumentError } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../core/paxos/index.ts";

export const DEV_VARS_FILE = ".dev.vars";

/** The secrets `paxflow dev` reads itself; without them the cluster uses its local ones (cli/local-cluster.ts). */
export const LOCAL_SECRETS = ["API_TOKENS", "RUNNER_KEY"] as const;
export type LocalSecret = (typeof LOCAL_SECRETS)[number];

/** Where a secret came from, as `paxflow dev` names it. */
export type SecretSource = "--var" | "the environment" | typeof DEV_VARS_FILE;

/** A `.dev.vars` line that cannot be read. The message names the file and line, never a value. */
export class DevVarError extends ConfigError {
  readonly code = "invalid-dev-var";
}

/** A name as dotenv (which wrangler uses) takes it. */
const KEY = /^[\w.-]+$/;
const ASSIGNMENT = /^\s*(?:export\s+)?([^=\s]*)\s*=(.*)$/;
const QUOTES = new Set(['"', "'", "`"]);

/**
 * Parses a `.dev.vars` file as wrangler's dotenv reads it: `KEY=VALUE` (also `export KEY=VALUE`),
 * blank lines and `#` comments skipped; an unquoted value ends at `#` and is trimmed; a value in
 * '...', "..." or `...` is taken as written and may span lines, and in "..." `\n` is a newline.
 * The last of a repeated key wins. Anything else is refused with its file and line.
 */
export function parseDevVars(text: string, file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n?|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*(#.*)?$/.test(line)) continue;
    const at = `${file}:${i + 1}`;
    const assignment = ASSIGNMENT.exec(line);
    if (!assignment) throw new DevVarError(`${at}: expected KEY=VALUE`);
    const [, key, rest] = assignment as unknown as [string, string, string];
    if (!KEY.test(key)) throw new DevVarError(`${at}: "${key}" is not a variable name (letters, digits, _ . - only)`);
    const value = rest.trimStart();
    const quote = value[0];
    if (quote === undefined || !QUOTES.has(quote)) {
      vars[key] = value.split("#")[0]!.trim();
      continue;
    }
    // A quoted value: up to the same quote (not a backslash-escaped one), on this line or a later one.
    let quoted = value.slice(1);
    let end = closingQuote(quoted, quote);
    const first = i;
    while (end === -1 && i + 1 < lines.length) {
      quoted += `\n${lines[++i]}`;
      end = closingQuote(quoted, quote);
    }
    if (end === -1) throw new DevVarError(`${file}:${first + 1}: the value of ${key} opens a ${quote} quote that is never closed`);
    if (!/^\s*(#.*)?$/.test(quoted.slice(end + 1))) throw new DevVarError(`${file}:${i + 1}: text after the closing ${quote} of ${key}'s value`);
    const raw = quoted.slice(0, end);
    vars[key] = quote === '"' ? raw.replace(/\\n/g, "\n").replace(/\\r/g, "\r") : raw;
  }
  return vars;
}

function closingQuote(text: string, quote: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

/** The project's `.dev.vars` (in `dir`, where wrangler.toml is), parsed; empty when there is none. */
export function readDevVars(dir: string): Record<string, string> {
  const path = join(dir, DEV_VARS_FILE);
  return existsSync(path) ? parseDevVars(readFileSync(path, "utf8"), path) : {};
}

/** Commander's collector for repeated `--var KEY=VALUE` (the value as the shell gave it, `=` and all; the last of a key wins). */
export function varFlag(raw: string, previous: Readonly<Record<string, string>> = {}): Record<string, string> {
  const equals = raw.indexOf("=");
  const key = equals === -1 ? "" : raw.slice(0, equals);
  if (!KEY.test(key)) throw new InvalidArgumentError("expected KEY=VALUE, KEY of letters, digits, _ . - (like --var RUNNER_KEY=...)");
  return { ...previous, [key]: raw.slice(equals + 1) };
}

export interface LocalVars {
  /** What `paxflow dev` passes to wrangler dev as --var: the secrets it found, and every --var flag. */
  readonly vars: Readonly<Record<string, string>>;
  /** Where each secret that is set came from. */
  readonly sources: Readonly<Partial<Record<LocalSecret, SecretSource>>>;
}

/** The local cluster's vars from its sources, in precedence order (the module's comment). */
export function localVars(from: {
  readonly flags: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly file: Readonly<Record<string, string>>;
}): LocalVars {
  const vars: Record<string, string> = {};
  const sources: Partial<Record<LocalSecret, SecretSource>> = {};
  const ordered: [SecretSource, Readonly<Record<string, string | undefined>>][] = [
    ["--var", from.flags],
    ["the environment", from.env],
    [DEV_VARS_FILE, from.file],
  ];
  for (const secret of LOCAL_SECRETS) {
    const found = ordered.find(([, values]) => values[secret]);
    if (!found) continue;
    vars[secret] = found[1][secret]!;
    sources[secret] = found[0];
  }
  for (const [key, value] of Object.entries(from.flags)) if (!(LOCAL_SECRETS as readonly string[]).includes(key)) vars[key] = value;
  return { vars, sources };
}
