import { appendFile, readFile } from 'node:fs/promises'
import path from 'node:path'
import { expect, it } from 'vitest'
import { stats } from '../backend/utils'
import { poll } from '../utils/poll'
import { spawnNode } from '../utils/process'
import { describeWatchMode, itBuildsWithoutServer } from './suite'

const ROLLUP_BIN = 'node_modules/rollup/dist/bin/rollup'

describeWatchMode({
  name: 'rollup',
  files: { a: 'src/styles/a.css', partial: 'src/styles/partial.css', js: 'src/main.js' },
  outDir: 'dist',
  entry: 'main.js',
  buildDone: /waiting for changes/,
  start: (dir, env) => spawnNode(dir, ROLLUP_BIN, ['-c', '-w'], env),
}, (context) => {
  it('reloading the config 20 times keeps exactly one live server on the same port, the page connected', async () => {
    const { dir, watcher, liveUrl, live } = context()
    const connects = (await live.events('connect')).length
    const { epoch } = await stats(`${liveUrl}/__live_assets`)
    const durations: number[] = []
    for (let i = 1; i <= 20; i++) {
      const reloads = watcher.count(/Reloading updated config/)
      const builds = watcher.count(/waiting for changes/)
      const savedAt = Date.now()
      await appendFile(path.join(dir, 'rollup.config.mjs'), `// reload ${i}\n`)
      await watcher.waitFor(/Reloading updated config/, reloads + 1)
      await watcher.waitFor(/waiting for changes/, builds + 1)
      durations.push(Date.now() - savedAt)
      // After each reload: the first server still answers on its port (same epoch), no second one was started.
      expect((await stats(`${liveUrl}/__live_assets`)).epoch, `epoch after reload ${i}`).toBe(epoch)
      expect(watcher.count(/live server at/), `servers after reload ${i}`).toBe(1)
    }
    const output = watcher.output()
    expect(output).not.toMatch(/EADDRINUSE|already in use/)
    // The page never lost its stream.
    expect((await live.events('connect')).length).toBe(connects)
    await poll(async () => (await stats(`${liveUrl}/__live_assets`)).subscribers === 1, { what: 'one subscriber' })
    const main = await readFile(path.join(dir, 'dist/main.js'), 'utf8')
    expect(main.split(`${liveUrl}/__live_assets/client.js`)).toHaveLength(2)
    console.log(`[live-assets] rollup config reload x20: ${Math.min(...durations)} to ${Math.max(...durations)} ms each (save to rebuilt), ${durations.reduce((a, b) => a + b, 0)} ms in all; 1 live server, epoch unchanged, port ${new URL(liveUrl).port} kept, 0 reconnects`)
  }, 180_000)

  itBuildsWithoutServer('`rollup -c`', context, 'main.js', /created dist-plain/, dir =>
    spawnNode(dir, ROLLUP_BIN, ['-c', '-d', 'dist-plain'], { LIVE_PORT: '0' }))
})
