import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { expect, it } from 'vitest'
import { spawnNode } from './harness'
import { describeWatchMode } from './suite'

describeWatchMode({
  name: 'esbuild',
  files: { a: 'src/styles/a.css', partial: 'src/styles/partial.css', js: 'src/main.js' },
  outDir: 'dist',
  entry: 'main.js',
  buildDone: /\[esbuild\] build done/,
  // The tests serve dist/ themselves: no esbuild serve().
  start: (dir, env) => spawnNode(dir, 'dev.mjs', [], { ...env, NO_SERVE: '1' }),
}, (context) => {
  it('a plain build() with the plugin starts no server, injects nothing and exits within a second of finishing', async () => {
    const { dir } = context()
    const build = spawnNode(dir, 'build.mjs', ['dist-plain'])
    await build.waitFor(/\[esbuild\] build done/, 1, 60_000)
    const finishedAt = Date.now()
    const exit = await build.exited
    expect(Date.now() - finishedAt).toBeLessThan(1000)
    expect(exit.code).toBe(0)
    expect(build.output()).not.toMatch(/live-assets/)
    expect(await readFile(path.join(dir, 'dist-plain/main.js'), 'utf8')).not.toMatch(/__live_assets|live-assets/)
  }, 90_000)
})
