import { defineConfig } from 'tsdown'

// Never published: @live-assets/core and @live-assets/client bundle it, types included.
export default defineConfig({
  entry: ['src/protocol.ts'],
  platform: 'neutral',
  fixedExtension: true,
  dts: true,
  exports: true,
})
