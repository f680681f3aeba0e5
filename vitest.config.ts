import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "core",
          environment: "node",
          include: ["test/core/**/*.test.ts"],
        },
      },
      {
        plugins: [
          cloudflareTest({
            main: "./workers/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // Tests inject faults and want failures noticed quickly; production keeps wrangler.toml's values.
              bindings: {
                PAXFLOW_CHAOS: "1",
                ALPHA: "4",
                MAX_BATCH: "8",
                LEASE_MS: "300",
                RETRY_MS: "20",
                CALL_TIMEOUT_MS: "500",
                CAMPAIGN_TIMEOUT_MS: "1000",
                COMMIT_TIMEOUT_MS: "1500",
              },
            },
          }),
        ],
        test: {
          name: "workerd",
          include: ["test/workerd/**/*.test.ts"],
        },
      },
    ],
  },
});
