import { defineConfig } from "vitest/config";

// Two projects: everything in Node (real sockets, DynamoDB Local, S3 emulator,
// Chromium end-to-end), and the React component tests in jsdom.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 90_000,
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          environment: "node",
          include: [
            "packages/*/test/**/*.test.ts",
            "packages/*/e2e/**/*.test.ts",
            "integration/**/*.test.ts",
            "stacks/test/**/*.test.ts",
            "bench/**/*.test.ts",
          ],
        },
      },
      {
        extends: true,
        test: {
          name: "web",
          environment: "jsdom",
          include: ["packages/web/test/**/*.test.tsx"],
        },
      },
    ],
  },
});
