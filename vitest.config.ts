import { defineConfig } from "vitest/config";

/**
 * Test files that start DynamoDB Local (Java) or drive Chromium. `npm test`
 * runs everything; `npm run test:unit` (PUSHGATE_TESTS=unit) leaves these out,
 * with the CDK synthesis (about 10 s of CPU on its own), for a loop of seconds.
 * integration/test-tiers.test.ts keeps the list honest.
 */
export const NEEDS_JAVA_OR_BROWSER = [
  "integration/core/adapters.test.ts",
  "integration/core/frames.property.test.ts",
  "integration/core/sessions.test.ts",
  "integration/core/shard-counts.test.ts",
  "integration/core/waiting-room.test.ts",
  "packages/functions/test/**",
  "packages/local/test/cloud.test.ts",
  "packages/local/test/cloud-network.test.ts",
  "packages/local/test/hot-reload.test.ts",
  "packages/local/test/iam/enforcement.test.ts",
  "packages/local/test/dynamodb/**",
  "packages/local/test/streams/stream-consumer.test.ts",
  "packages/local/test/streams/ttl-deletion.test.ts",
  "packages/web/e2e/**",
];
export const SLOW_WITHOUT_JAVA = ["stacks/test/stacks.test.ts"];

const unitOnly = process.env.PUSHGATE_TESTS === "unit";
const exclude = unitOnly ? [...NEEDS_JAVA_OR_BROWSER, ...SLOW_WITHOUT_JAVA] : [];

// Two projects: everything in Node (real sockets, DynamoDB Local, S3 emulator,
// Chromium end-to-end), and the React component tests in jsdom. The unit loop
// runs in threads and reuses each worker's modules across files (no
// isolation): that halves its CPU on 2 cores, and none of these files depends
// on a fresh module; `npm test` keeps forks and isolation.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 90_000,
    ...(unitOnly && { pool: "threads", isolate: false }),
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
          exclude: ["**/node_modules/**", ...exclude],
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
