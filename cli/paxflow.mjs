#!/usr/bin/env node
// The CLI. Installed from npm, the package carries it compiled (dist/cli/main.js); in this
// repository it is TypeScript. Either way tsx is registered: commands load the app's own
// TypeScript modules (its registry of stages and jobs), and here the CLI's source too.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

const source = new URL("./main.ts", import.meta.url);
const compiled = new URL("../dist/cli/main.js", import.meta.url);
// Here, this repository's tsconfig (its paths make "paxflow" the source) wherever the CLI is run
// from; installed, the app's own (tsx's default: the current directory's).
register(existsSync(source) ? { tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) } : {});
if (existsSync(source)) await import(source.href);
else if (existsSync(compiled)) await import(compiled.href);
else {
  console.error("paxflow: neither cli/main.ts nor dist/cli/main.js is here: a broken install (reinstall paxflow)");
  process.exit(1);
}
