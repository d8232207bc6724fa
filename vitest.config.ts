import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The web app is built once for every browser test file (they run in parallel workers).
    globalSetup: ['tests/e2e/global-build.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration, durability and browser tests start real servers; two cores are enough for two files at once.
    maxWorkers: 2,
  },
});
