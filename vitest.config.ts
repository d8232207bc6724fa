import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration, durability and browser tests start real servers; two cores are enough for two files at once.
    maxWorkers: 2,
  },
});
