/**
 * `paxflow init <dir>` and `npm create paxflow <dir>`: a new app that uses paxflow as a
 * dependency. The files come from templates/app (shipped in the package), with the app's name put
 * in; package.json is written here so its tool versions are the ones this paxflow is built and
 * tested with (this package's own package.json), and `.dev.vars` gets fresh local secrets.
 */
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { ConfigError } from "../core/paxos/index.ts";
import { LOCK_FILE, formatLock } from "../core/check/lock.ts";
import { DEFAULT_REGISTRY, DEPLOYMENT_FILE, appSettings } from "./app-settings.ts";
import { runLock } from "./commands/lock.ts";
import { PACKAGE_ROOT } from "./package-root.ts";

/** A directory name npm accepts as a package name, and wrangler as a Worker name. */
const APP_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export class ScaffoldError extends ConfigError {
  readonly code = "scaffold";
}

export interface ScaffoldOptions {
  /** What package.json's dependency on paxflow says; default "^<this version>". A tarball path or file: spec for tests. */
  readonly paxflow?: string;
}

export interface Scaffolded {
  readonly dir: string;
  readonly name: string;
  readonly files: readonly string[];
}

/** Writes a new app into `dir` (which must not exist, or be empty). */
export function scaffold(dir: string, options: ScaffoldOptions = {}): Scaffolded {
  const target = resolve(dir);
  const name = basename(target);
  if (!APP_NAME.test(name)) {
    throw new ScaffoldError(`"${name}" cannot name an app: use lowercase letters, digits and dashes (it becomes the npm package and the Worker's name)`);
  }
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
    throw new ScaffoldError(`${dir} already exists and is not an empty folder: pick a new name`);
  }
  const root = PACKAGE_ROOT;
  const own = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    version: string;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    overrides?: Record<string, string>;
  };
  mkdirSync(target, { recursive: true });
  cpSync(join(root, "templates", "app"), target, { recursive: true });
  // npm leaves a .gitignore out of a package: the template carries it as "gitignore".
  renameSync(join(target, "gitignore"), join(target, ".gitignore"));
  const files = listFiles(target);
  for (const file of files) {
    const path = join(target, file);
    writeFileSync(path, readFileSync(path, "utf8").replaceAll("{{name}}", name));
  }
  const tool = (pkg: string) => {
    const version = own.devDependencies[pkg] ?? own.dependencies[pkg];
    if (!version) throw new Error(`paxflow's package.json names no version of ${pkg}`);
    return version;
  };
  const manifest = {
    name,
    version: "0.0.0",
    private: true,
    type: "module",
    scripts: {
      start: `paxflow dev --registry ${DEFAULT_REGISTRY}`,
      test: "vitest run",
      check: "paxflow check src",
      lock: "paxflow lock src",
      deploy: "paxflow deploy",
    },
    // Where `paxflow deploy` finds the registry it checks against the running jobs' versions.
    ...appSettings(DEFAULT_REGISTRY),
    dependencies: { paxflow: options.paxflow ?? `^${own.version}` },
    devDependencies: {
      "@cloudflare/workers-types": tool("@cloudflare/workers-types"),
      typescript: tool("typescript"),
      vitest: tool("vitest"),
      wrangler: tool("wrangler"),
    },
    // The pins paxflow itself installs with (its README, "Dependencies"): npm applies overrides
    // of the root project only, so the app carries them.
    ...(own.overrides ? { overrides: own.overrides } : {}),
  };
  writeFileSync(join(target, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  // Local secrets only (`paxflow dev` reads them; wrangler gives them to the Worker): deployed
  // Workers get theirs with `wrangler secret put` (docs/deploy.md).
  const token = randomBytes(24).toString("base64url");
  writeFileSync(
    join(target, ".dev.vars"),
    `# Local secrets for \`npm start\` (not committed). Deployed: wrangler secret put API_TOKENS / RUNNER_KEY.\nAPI_TOKENS=local=${token}=admin\nRUNNER_KEY=${randomBytes(32).toString("base64url")}\n`,
  );
  writeFileSync(join(target, "README.md"), readme(name));
  // The code digests of the stages and jobs as written (src/stages.ts imports them).
  const lockFile = join(target, "src", LOCK_FILE);
  writeFileSync(lockFile, formatLock({ stages: {}, jobs: {} }));
  const problems: string[] = [];
  if (runLock([join(target, "src")], { allowModule: [] }, (line) => problems.push(line)) !== 0) throw new Error(`paxflow init: locking the new app's stages failed:\n${problems.join("\n")}`);
  return { dir: target, name, files: [...files, "package.json", ".dev.vars", "README.md", join("src", LOCK_FILE)].sort() };
}

function listFiles(dir: string, under = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name), under) : [relative(under, join(dir, entry.name))],
  );
}

const readme = (name: string) => `# ${name}

A [paxflow](https://www.npmjs.com/package/paxflow) app: jobs made of pure stages, run by a
fault-tolerant, cost-aware orchestrator on Cloudflare Workers.

\`\`\`sh
npm install
npm start          # the local cluster (workerd via wrangler dev, two CPU runners) with your stages
npm test           # your job: locally, on an in-process job plane, on the local cluster
npx paxflow check src                  # purity, yields, cost models, cycles
npx paxflow deploy --dry-run           # what \`wrangler deploy\` would upload
\`\`\`

With \`npm start\` running, from another terminal (the token is in \`.dev.vars\`):

\`\`\`sh
export PAXFLOW_TOKEN=$(sed -n 's/^API_TOKENS=local=\\(.*\\)=admin$/\\1/p' .dev.vars)
npx paxflow submit ${name}/word-total --input '{"text":"a b c\\nd e"}' --watch
\`\`\`

- \`src/stages.ts\`: your stages and jobs, and the registry of what this app deploys.
- \`src/index.ts\`: the Worker (\`definePaxflow({ registry })\`); \`wrangler.toml\` names its exports.
- \`test/\`: \`runLocally\`, \`runOnPlane\` and \`startLocalCluster\` from \`paxflow/testing\`.

Deploying: \`npx wrangler login\`, then \`wrangler secret put API_TOKENS\` and \`wrangler secret put
RUNNER_KEY\`, then \`npx paxflow deploy\` (see paxflow's docs/deploy.md). It records the URL it
deployed to in \`${DEPLOYMENT_FILE}\`: commit it, and each later deploy first checks that it drops
no job version the jobs running there still use (with a token in \`PAXFLOW_TOKEN\`).
`;
