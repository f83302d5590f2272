// rolldown.config.mjs: `rolldown -c rolldown.config.mjs -w` builds the same sources as rollup.config.mjs, with the same
// two playground plugins (their hooks are the same in Rolldown), and runs the live-assets server beside it.
import process from 'node:process'
import liveAssets from 'unplugin-live-assets/rolldown'
import { cssAssets, htmlPage } from './css-assets.mjs'

/** Set by the tests: where the live server listens. */
const livePort = Number(process.env.LIVE_PORT ?? 35729)

/** @type {import('rolldown').RolldownOptions} */
export default {
  input: 'src/main.js',
  // cssAssets() turns each stylesheet into `export {}`: Rolldown, which has no CSS bundling, then reads it as JavaScript.
  moduleTypes: { '.css': 'js' },
  output: { dir: 'dist', format: 'esm', assetFileNames: '[name][extname]' },
  plugins: [
    cssAssets(),
    htmlPage('src/index.html'),
    liveAssets({
      port: livePort,
      reload: ['**/*.html'],
    }),
  ],
}
