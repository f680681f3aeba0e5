/**
 * The product does not import its examples (issue 17): the examples are an app that uses
 * paxflow as a user's would, and a deployment bundles the registry its own Worker entry gives
 * definePaxflow. Only examples/, test/ and bench/ may reach into examples/.
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ALLOWED = new Set(["examples", "test", "bench", "node_modules"]);
const SOURCE = /\.(ts|mts|js|mjs)$/;

/** Every source file outside the allowed folders (and outside dot folders such as .git and .wrangler). */
function productFiles(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith(".")) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return dir === ROOT && ALLOWED.has(entry.name) ? [] : productFiles(path);
    return SOURCE.test(entry.name) ? [path] : [];
  });
}

/** The module specifiers a file names: static and dynamic imports, re-exports, and new URL(..., import.meta.url). */
export function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']/g, /\bimport\s+["']([^"']+)["']/g, /\bnew URL\(\s*["']([^"']+)["']\s*,\s*import\.meta\.url/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

describe("the product does not import examples/", () => {
  it("finds the specifiers of every kind of import", () => {
    const source = [
      'import { a } from "../examples/a.ts";',
      'export { b } from "./b.ts";',
      'const c = await import("../examples/c.ts");',
      'import "./d.ts";',
      'const e = new URL("../examples/e.ts", import.meta.url);',
    ].join("\n");
    expect(specifiers(source).sort()).toEqual(["../examples/a.ts", "../examples/c.ts", "../examples/e.ts", "./b.ts", "./d.ts"]);
  });

  it("no file outside examples/, test/ and bench/ names a module in examples/", () => {
    const files = productFiles();
    // The scan covers the product's folders.
    for (const dir of ["core", "runtime", "workers", "durable-objects", "runners", "gpu-runners", "kernels", "cli", "client", "chaos"]) {
      expect(files.some((f) => relative(ROOT, f).startsWith(`${dir}${sep}`)), dir).toBe(true);
    }
    const examples = join(ROOT, "examples") + sep;
    const offending = files.flatMap((file) =>
      specifiers(readFileSync(file, "utf8"))
        .filter((s) => s.startsWith(".") && resolve(dirname(file), s).startsWith(examples))
        .map((s) => `${relative(ROOT, file)}: ${s}`),
    );
    expect(offending).toEqual([]);
  });
});
