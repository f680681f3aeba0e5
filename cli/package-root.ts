/**
 * Where paxflow's own files are (templates/, the runner scripts, package.json): this repository,
 * or node_modules/paxflow once installed, where this module runs compiled from dist/cli/.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

function find(): string {
  for (const up of ["..", "../.."]) {
    const root = fileURLToPath(new URL(`${up}/`, import.meta.url));
    const manifest = join(root, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "paxflow") return root;
  }
  throw new Error(`paxflow's package.json is not above ${fileURLToPath(import.meta.url)}: a broken install (reinstall paxflow)`);
}

export const PACKAGE_ROOT = find();

/** A script of paxflow's, by its source path: the source in this repository, the compiled file in an install. */
export function packageScript(source: string): string {
  const here = join(PACKAGE_ROOT, source);
  return existsSync(here) ? here : join(PACKAGE_ROOT, "dist", source.replace(/\.ts$/, ".js"));
}

/** Whether `dir` is paxflow's own repository (its sources here), not an app that installed it. */
export const isPaxflowRepository = (dir: string): boolean => resolve(dir) === resolve(PACKAGE_ROOT) && existsSync(join(PACKAGE_ROOT, "core", "index.ts"));

/** tsx's loader, by path: runners load an app's TypeScript registry through it, wherever the app is. */
export const TSX_LOADER = import.meta.resolve("tsx");

/**
 * The wrangler to run in `dir`: the app's own (a devDependency of the app `paxflow init` writes),
 * else the one beside paxflow (this repository's).
 */
export function wranglerBin(dir = process.cwd()): string {
  try {
    return createRequire(join(dir, "package.json")).resolve("wrangler/bin/wrangler.js");
  } catch {
    return createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
  }
}
