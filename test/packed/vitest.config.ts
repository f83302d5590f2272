import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/** The packed-install run (`pnpm test:packed`): the tarballs installed by npm outside the workspace, one Chromium. */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['packed/**/*.packed.ts'],
    globalSetup: ['./utils/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
})
