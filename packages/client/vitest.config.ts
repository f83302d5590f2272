import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Pure logic only (URLs, matching): node is enough. Browser behaviour is tested in /test/client.
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
  define: { __LIVE_ASSETS_DEBUG__: 'true' },
})
