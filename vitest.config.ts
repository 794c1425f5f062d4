import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["dingbot:source"] },
  ssr: { resolve: { conditions: ["dingbot:source"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    expect: { requireAssertions: true },
    pool: "forks",
  },
});
