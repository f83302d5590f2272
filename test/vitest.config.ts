import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'bench/**'],
    globalSetup: ['./utils/global-setup.ts'],
    // One Chromium per run (launched in globalSetup); files run one after another so that
    // save-to-restyle timings are not disturbed by a second bundler on a 2-core machine.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
