/**
 * One measurement in this tree and in a checkout of an earlier revision, in one run: a shared
 * machine is too noisy to compare runs made apart. Each measurement is a process of its own (a
 * fresh heap, and a case that runs too long can be killed) that prints its figures as the last
 * line of stdout, in JSON; the sides take turns, the order alternating between runs so neither
 * always meets the machine warmer.
 */
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Carried, type RevTree, checkoutRev } from "./rev-tree.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface Side {
  readonly label: string;
  readonly dir: string;
  readonly sha?: string;
  readonly copied?: readonly string[];
}

export type Measured<T> = T | { readonly failed: string };

/** Runs `node --import tsx <script> ...args` in `dir`; its last stdout line, parsed, or why there is none. */
export async function measureIn<T>(dir: string, script: string, args: readonly string[], timeoutMs: number, onStderr?: (line: string) => void): Promise<Measured<T>> {
  const ran = await runIn(dir, script, args, timeoutMs, onStderr);
  return "failed" in ran ? ran : (JSON.parse(ran.stdout.trim().split("\n").at(-1)!) as T);
}

/** Runs `node --import tsx <script> ...args` in `dir`: its stdout, or why it failed (its error line, or the timeout). */
export function runIn(dir: string, script: string, args: readonly string[], timeoutMs: number, onStderr?: (line: string) => void): Promise<Measured<{ stdout: string }>> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
      if (onStderr) for (const line of String(chunk).split("\n")) if (line.trim()) onStderr(line);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (timedOut) return done({ failed: `timeout (${timeoutMs / 1_000} s)` });
      if (code !== 0) {
        const lines = stderr.split("\n").map((l) => l.trim());
        return done({ failed: `error: ${lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.filter(Boolean).at(-1) ?? `exit ${code}`}` });
      }
      done({ stdout });
    });
  });
}

/**
 * The sides to measure: `against` (checked out, given `files` it may lack, `carried` there as it
 * says) then this tree; `work` runs with them, and the checkout goes afterwards, also on Ctrl-C.
 */
export async function withSides<T>(
  against: string | undefined,
  files: readonly string[],
  log: (line: string) => void,
  work: (sides: readonly Side[]) => Promise<T>,
  carried: Carried = {},
): Promise<T> {
  let base: RevTree | undefined;
  const cleanUp = () => base?.dispose();
  // An interrupted run must not leave its worktree behind.
  const interrupted = () => {
    cleanUp();
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  try {
    const sides: Side[] = [];
    if (against !== undefined) {
      base = checkoutRev(ROOT, against, files, carried);
      log(`${against} is ${base.sha.slice(0, 12)} in ${base.dir}${base.copied.length > 0 ? `; copied there: ${base.copied.join(", ")}` : ""}`);
      sides.push({ label: against, dir: base.dir, sha: base.sha, copied: base.copied });
    }
    sides.push({ label: "this tree", dir: ROOT });
    return await work(sides);
  } finally {
    process.off("SIGINT", interrupted);
    cleanUp();
  }
}

/** Run `run` of `runs`: the sides in the order that run takes. */
export const turn = <S>(sides: readonly S[], run: number): readonly S[] => (run % 2 === 0 ? sides : [...sides].reverse());

export const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export const stamp = () => new Date().toISOString().replace(/[:.]/g, "-");
