import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/** The soak run (`pnpm test:soak`): tests that take minutes, with the e2e project's one Chromium. */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['soak/**/*.soak.ts'],
    globalSetup: ['./utils/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
})
