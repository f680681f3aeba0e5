#!/usr/bin/env node
// npm runs this after installing this package. In the paxflow repository it copies the
// dashboard's library next to its pages and records that node_modules matches
// package-lock.json (ensure-deps.mjs). Installed as a dependency, it does nothing: the package
// already carries the copied files, and package-lock.json is the app's, not ours.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const inRepository = existsSync(fileURLToPath(new URL("../core/index.ts", import.meta.url)));
if (inRepository) {
  for (const script of ["vendor-dashboard.mjs", "ensure-deps.mjs"]) {
    const args = [fileURLToPath(new URL(script, import.meta.url)), ...(script === "ensure-deps.mjs" ? ["--stamp"] : [])];
    const { status } = spawnSync(process.execPath, args, { stdio: "inherit" });
    if (status !== 0) process.exit(status ?? 1);
  }
}
