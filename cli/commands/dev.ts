import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { Command } from "commander";
import { intOption } from "../options.ts";

const require = createRequire(import.meta.url);

interface DevFlags {
  port: number;
  persistTo: string;
}

/** The local cluster: the API Worker and every Durable Object in workerd, state on disk. */
export const devCommand = new Command("dev")
  .description("run paxflow locally on workerd (wrangler dev), with state persisted between runs")
  .option("--port <n>", "HTTP port", intOption(1, 65535), 8787)
  .option("--persist-to <dir>", "where Durable Object state is kept", ".wrangler/state")
  .addHelpText("after", "\nExample:\n  npx paxflow dev --port 8787\n  curl -s http://127.0.0.1:8787/v1/cluster")
  .action((flags: DevFlags) => {
    const wrangler = require.resolve("wrangler/bin/wrangler.js");
    const args = [wrangler, "dev", "--local", "--ip", "127.0.0.1", "--port", String(flags.port), "--persist-to", flags.persistTo];
    args.push("--show-interactive-dev-session=false");
    const child = spawn(process.execPath, args, {
      stdio: "inherit",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    });
    console.log(`paxflow: starting workerd on http://127.0.0.1:${flags.port} (state in ${flags.persistTo})`);
    console.log(`paxflow: try  curl -s http://127.0.0.1:${flags.port}/v1/cluster`);
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
    child.on("exit", (code, signal) => {
      process.exitCode = code ?? (signal ? 1 : 0);
    });
  });
