import type { UserConfig } from 'tsdown'
import { defineConfig } from 'tsdown'

const plugin: UserConfig = {
  entry: [
    'src/index.ts',
    'src/vite.ts',
    'src/webpack.ts',
    'src/rspack.ts',
    'src/rsbuild.ts',
    'src/rollup.ts',
    'src/rolldown.ts',
    'src/esbuild.ts',
    'src/types.ts',
  ],
  platform: 'node',
  // `require('unplugin-live-assets/webpack')` in a CommonJS webpack.config.js must work too.
  format: ['esm', 'cjs'],
  // The CommonJS build finds `inject/client-entry.mjs` through `import.meta.url`.
  shims: true,
  dts: true,
  exports: true,
  publint: true,
}

/**
 * Bundled into the user's page by webpack or Rspack, so it is browser code and stays an ES module. Read by path,
 * never imported by users: no export entry.
 */
const clientEntry: UserConfig = {
  entry: { 'inject/client-entry': 'src/inject/client-entry.ts' },
  platform: 'browser',
  format: 'esm',
  fixedExtension: true,
  dts: false,
  exports: false,
  clean: false,
}

/**
 * The one-line loader of watch mode, read by path and prepended to entry bundles (see src/core/client-loader.ts): a
 * classic script, so an IIFE, minified to one line.
 */
const watchLoader: UserConfig = {
  entry: { 'inject/watch-loader': 'src/inject/watch-loader.ts' },
  platform: 'browser',
  format: 'iife',
  minify: true,
  dts: false,
  exports: false,
  clean: false,
  outputOptions: { entryFileNames: '[name].js' },
}

export default defineConfig([plugin, clientEntry, watchLoader])
