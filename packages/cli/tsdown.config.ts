import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  platform: 'node',
  dts: true,
  exports: {
    // The bin runs on import; it is reached through `bin`, never imported.
    exclude: ['cli'],
    bin: { 'live-assets': './src/cli.ts' },
  },
  publint: true,
})
