#!/usr/bin/env node
// Installs this clone's dependencies when they are missing or older than package-lock.json, and
// does nothing otherwise. `npm start` and `npm test` run it first (prestart, pretest), so both
// work on a fresh clone, and neither replaces the node_modules of the other while it runs: an
// unconditional `npm ci` deletes node_modules first, under a running cluster's feet.
//
//   node cli/ensure-deps.mjs           install if needed (under a lock: two terminals at once wait for one install)
//   node cli/ensure-deps.mjs --stamp   record that node_modules matches package-lock.json (postinstall runs it)
//
// Node built-ins only: it runs before anything is installed.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const lockfile = join(root, "package-lock.json");
const stamp = join(root, "node_modules", ".paxflow-installed");
const installLock = join(root, ".paxflow-install.lock");
const WAIT_STEP_MS = 500;

const wanted = () => createHash("sha256").update(readFileSync(lockfile)).digest("hex");
const installed = () => (existsSync(stamp) ? readFileSync(stamp, "utf8").trim() : null);
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/** Takes the install lock, waiting while another live process holds it; a dead holder's lock is taken over. */
function lock() {
  let told = false;
  for (;;) {
    try {
      mkdirSync(installLock);
      writeFileSync(join(installLock, "pid"), String(process.pid));
      return;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(join(installLock, "pid"), "utf8"));
    } catch {
      // Just created, its pid not written yet: wait for it.
    }
    if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
      rmSync(installLock, { recursive: true, force: true });
      continue;
    }
    if (!told) console.error("paxflow: another terminal is installing dependencies; waiting for it");
    told = true;
    sleep(WAIT_STEP_MS);
  }
}

if (process.argv.includes("--stamp")) {
  writeFileSync(stamp, `${wanted()}\n`);
} else if (installed() !== wanted()) {
  lock();
  try {
    // The other terminal may have installed meanwhile.
    if (installed() !== wanted()) {
      console.error(
        existsSync(join(root, "node_modules"))
          ? "paxflow: package-lock.json changed since the last install: npm ci"
          : "paxflow: installing dependencies (npm ci)",
      );
      const npm = process.platform === "win32" ? "npm.cmd" : "npm";
      const result = spawnSync(npm, ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
      if (result.status !== 0) process.exit(result.status ?? 1);
      if (installed() !== wanted()) writeFileSync(stamp, `${wanted()}\n`);
    }
  } finally {
    rmSync(installLock, { recursive: true, force: true });
  }
}
