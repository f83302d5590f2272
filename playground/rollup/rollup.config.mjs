// rollup.config.mjs: `rollup -c -w` builds dist/ and runs the live-assets server beside it; `rollup -c` only builds.
import process from 'node:process'
import liveAssets from 'unplugin-live-assets/rollup'
import { cssAssets, htmlPage } from './css-assets.mjs'

/** Set by the tests: where the live server listens. */
const livePort = Number(process.env.LIVE_PORT ?? 35729)

/** @type {import('rollup').RollupOptions} */
export default {
  input: 'src/main.js',
  output: { dir: 'dist', format: 'esm', assetFileNames: '[name][extname]' },
  plugins: [
    cssAssets(),
    htmlPage('src/index.html'),
    liveAssets({
      port: livePort,
      // A CSS edit rewrites main.js too; only a changed page reloads the page.
      reload: ['**/*.html'],
    }),
  ],
  watch: { clearScreen: false },
}
