/**
 * Another revision of this repository, checked out beside it so that a benchmark can run the
 * same measurement there and here in one run: a temporary git worktree that shares this tree's
 * node_modules (a symlink: no install) and gets the benchmark's own files when that revision
 * predates them.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface RevTree {
  readonly dir: string;
  /** The commit checked out. */
  readonly sha: string;
  /** Files of `files` that the revision lacked and that were copied from this tree (and `adapt`ed). */
  readonly copied: readonly string[];
  /** Removes the worktree; safe to call more than once. */
  dispose(): void;
}

const git = (cwd: string, ...args: string[]): string => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/** How a benchmark's own files reach a revision that predates them. */
export interface Carried {
  /** Copied there even when the revision has its own (a registry that must list the benchmark's job). */
  readonly overwrite?: readonly string[];
  /** Rewrites a copied file's text for the revision (a benchmark job written against an API it lacks). */
  readonly adapt?: (file: string, text: string) => string;
}

/** Checks out `rev` (anything `git rev-parse` takes) from the repository at `root`. */
export function checkoutRev(root: string, rev: string, files: readonly string[], carried: Carried = {}): RevTree {
  const sha = git(root, "rev-parse", "--verify", `${rev}^{commit}`);
  const dir = mkdtempSync(join(tmpdir(), "paxflow-rev-"));
  git(root, "worktree", "add", "--detach", dir, sha);
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    rmSync(dir, { recursive: true, force: true });
    git(root, "worktree", "prune");
  };
  try {
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
    const copied = files.filter((file) => !existsSync(join(dir, file)) || carried.overwrite?.includes(file));
    for (const file of copied) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      const text = readFileSync(join(root, file), "utf8");
      const adapted = carried.adapt?.(file, text) ?? text;
      if (adapted === text) copyFileSync(join(root, file), join(dir, file));
      else writeFileSync(join(dir, file), adapted);
    }
    return { dir, sha, copied, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}
