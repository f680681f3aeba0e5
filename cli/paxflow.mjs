#!/usr/bin/env node
// The CLI. Installed from npm, the package carries it compiled (dist/cli/main.js, no loader
// needed); in this repository it is TypeScript, and tsx compiles it on the fly.
import { existsSync } from "node:fs";

const compiled = new URL("../dist/cli/main.js", import.meta.url);
const source = new URL("./main.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  console.error("paxflow: neither cli/main.ts nor dist/cli/main.js is here: a broken install (reinstall paxflow)");
  process.exit(1);
}
