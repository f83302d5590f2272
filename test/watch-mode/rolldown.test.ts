import { spawnNode } from '../utils/process'
import { describeWatchMode, itBuildsWithoutServer } from './suite'

const ROLLDOWN_BIN = 'node_modules/rolldown/bin/cli.mjs'
const CONFIG = ['-c', 'rolldown.config.mjs']
// Rolldown's CLI logs through consola, which drops info lines under Vitest's TEST/NODE_ENV: "Rebuilt dist" included.
const LOG_INFO = { CONSOLA_LEVEL: '3' }

// The Rollup playground's sources and plugins, built by its rolldown.config.mjs.
describeWatchMode({
  name: 'rolldown',
  playground: 'rollup',
  files: { a: 'src/styles/a.css', partial: 'src/styles/partial.css', js: 'src/main.js' },
  outDir: 'dist',
  entry: 'main.js',
  buildDone: /Rebuilt dist in|Build failed/,
  start: (dir, env) => spawnNode(dir, ROLLDOWN_BIN, [...CONFIG, '-w'], { ...env, ...LOG_INFO }),
}, (context) => {
  itBuildsWithoutServer('`rolldown -c`', context, 'main.js', /Finished in/, dir =>
    spawnNode(dir, ROLLDOWN_BIN, [...CONFIG, '-d', 'dist-plain'], { LIVE_PORT: '0', ...LOG_INFO }))
})
