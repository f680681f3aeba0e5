/** Fenced code blocks of the docs, for the tests that keep them true. */
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");

/** The README and every guide. */
export const DOCS = ["README.md", "SECURITY.md", "kernels/README.md", "gpu-runners/README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** The bodies of a file's fenced blocks whose language is one of `langs` ("" for none). */
export function codeBlocks(file: string, langs: readonly string[]): string[] {
  const blocks: string[] = [];
  let lang: string | null = null;
  let body: string[] = [];
  for (const line of readFileSync(join(ROOT, file), "utf8").split("\n")) {
    const fence = /^\s*```(\w*)/.exec(line);
    if (fence && lang === null) {
      lang = fence[1]!;
      body = [];
    } else if (fence) {
      if (langs.includes(lang ?? "-")) blocks.push(body.join("\n"));
      lang = null;
    } else if (lang !== null) body.push(line);
  }
  return blocks;
}

/** Shell lines of a file's sh blocks, continuations joined. */
export const shellLines = (file: string): string[] =>
  codeBlocks(file, ["", "sh", "bash", "shell"]).flatMap((block) => block.replace(/\\\n\s*/g, " ").split("\n").map((l) => l.trim()));
