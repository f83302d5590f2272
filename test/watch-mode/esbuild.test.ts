import { spawnNode } from './harness'
import { describeWatchMode, itBuildsWithoutServer } from './suite'

describeWatchMode({
  name: 'esbuild',
  files: { a: 'src/styles/a.css', partial: 'src/styles/partial.css', js: 'src/main.js' },
  outDir: 'dist',
  entry: 'main.js',
  buildDone: /\[esbuild\] build done/,
  // The tests serve dist/ themselves: no esbuild serve().
  start: (dir, env) => spawnNode(dir, 'dev.mjs', [], { ...env, NO_SERVE: '1' }),
}, (context) => {
  itBuildsWithoutServer('build() with the plugin', context, 'main.js', /\[esbuild\] build done/, dir => spawnNode(dir, 'build.mjs', ['dist-plain']))
})
