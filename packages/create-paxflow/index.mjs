#!/usr/bin/env node
// `npm create paxflow@latest my-app`: runs `paxflow init my-app` from the paxflow this package
// depends on, so the app is written from that version's own template (one template, in paxflow).
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const args = process.argv.slice(2);
if (args.length === 0 || args.includes("--help") || args.includes("-h")) {
  console.log("usage: npm create paxflow@latest <dir> [-- --paxflow <dependency spec>]\n\nWrites a new paxflow app into <dir> (paxflow init); then: cd <dir> && npm install && npm test");
  process.exit(args.length === 0 ? 2 : 0);
}
const paxflow = dirname(createRequire(import.meta.url).resolve("paxflow/package.json"));
const { status } = spawnSync(process.execPath, [join(paxflow, "cli", "paxflow.mjs"), "init", ...args], { stdio: "inherit" });
process.exit(status ?? 1);
