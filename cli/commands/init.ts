import { Command } from "commander";
import { relative } from "node:path";
import { scaffold } from "../scaffold.ts";

export const initCommand = new Command("init")
  .description("write a new paxflow app into <dir>: package.json, wrangler.toml, src/index.ts (definePaxflow), src/stages.ts (a stage and a job), a test, .dev.vars")
  .argument("<dir>", "the new app's folder (its name names the package and the Worker)")
  .option("--paxflow <spec>", "the dependency on paxflow to write into package.json (default: this version)")
  .addHelpText("after", ["", "Example:", "  npx paxflow init my-app && cd my-app && npm install && npm test"].join("\n"))
  .action((dir: string, flags: { paxflow?: string }) => {
    const app = scaffold(dir, flags.paxflow === undefined ? {} : { paxflow: flags.paxflow });
    const where = relative(process.cwd(), app.dir) || ".";
    console.log(`paxflow init: wrote ${app.name} to ${where}: ${app.files.join(", ")}`);
    console.log(["next:", `  cd ${where}`, "  npm install", "  npm test      # your job: locally, on an in-process plane, on the local cluster", "  npm start     # the local cluster with your stages"].join("\n"));
  });
