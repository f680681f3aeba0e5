#!/usr/bin/env node
// Copies the dashboard's one library (uPlot, MIT) from node_modules next to its pages, so the
// Worker serves it as a static asset (dashboard/public/vendor is not in git). Runs on npm install
// in this repository (postinstall.mjs); the published package carries the copies.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = join(root, "node_modules/uplot/dist");
const to = join(root, "dashboard/public/vendor");
if (!existsSync(from)) {
  console.error("vendor-dashboard: node_modules/uplot is missing (run npm install)");
  process.exit(1);
}
mkdirSync(to, { recursive: true });
for (const file of ["uPlot.esm.js", "uPlot.min.css"]) copyFileSync(join(from, file), join(to, file));
