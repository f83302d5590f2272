import type { LivePage } from '../utils/live-page'
import type { PageServer } from '../utils/page-server'
import type { NodeProcess } from '../utils/process'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { edit, stats } from '../dev-server/harness'
import { openPage } from '../utils/live-page'
import { startPageServer } from '../utils/page-server'
import { copyPlayground, removeCopy } from '../utils/playground'
import { poll } from '../utils/poll'
import { killAll, spawnNode } from '../utils/process'
import { liveUrlOf, paintedAt, sampleColors } from './harness'

/**
 * `webpack --watch` through the real webpack-cli, with the webpack playground's config (its `devServer` section is
 * ignored by `--watch`): no dev server, so the standalone live server publishes.
 */
describe('webpack --watch (no dev server)', () => {
  let dir: string
  let pageServer: PageServer
  let watcher: NodeProcess
  let live: LivePage
  const timings: string[] = []

  beforeAll(async () => {
    dir = await copyPlayground('webpack')
    pageServer = await startPageServer({ root: path.join(dir, 'dist') })
    // The playground's config with the plugin (its one plain-object plugin) on port 0; the page server is on a loopback
    // origin, which needs no option.
    await writeFile(path.join(dir, 'webpack.watch.ts'), `import liveAssets from 'unplugin-live-assets/webpack'
import config from './webpack.config.ts'

export default {
  ...config,
  plugins: [...config.plugins.filter(p => p.constructor !== Object), liveAssets({ port: 0, nonce: 'wp-nonce-7f' })],
}
`)
    watcher = spawnNode(dir, 'node_modules/webpack-cli/bin/cli.js', ['--config', 'webpack.watch.ts', '--watch'])
    await watcher.waitFor(/compiled successfully/, 1, 90_000)
    live = await openPage(pageServer.url)
    await sampleColors(live.page, ['#a', '#b', '#partial'])
    await live.page.click('#counter')
  }, 120_000)

  afterAll(async () => {
    await live?.close()
    await watcher?.stop('SIGKILL')
    killAll()
    await pageServer?.close()
    await removeCopy(dir)
    console.log(`[live-assets] webpack --watch save-to-restyle: ${timings.join(', ')}`)
  })

  it('starts one standalone live server and no dev server', () => {
    const output = watcher.output()
    expect(output.match(/live server at/g)).toHaveLength(1)
    expect(output).not.toMatch(/Project is running at|Loopback:/)
  })

  it('puts the configured CSP nonce on the <script> tag it adds through html-webpack-plugin', async () => {
    const html = await readFile(path.join(dir, 'dist/index.html'), 'utf8')
    expect(html).toMatch(/<script src="http:\/\/127\.0\.0\.1:\d+\/__live_assets\/client\.js" nonce="wp-nonce-7f"><\/script>/)
    expect(await live.page.evaluate(() => document.querySelector<HTMLScriptElement>('script[src$="/__live_assets/client.js"]')?.nonce)).toBe('wp-nonce-7f')
  })

  it('a CSS edit publishes reloadCSS through the standalone server and restyles the page in place', async () => {
    const liveUrl = liveUrlOf(watcher.output())
    await poll(async () => (await stats(liveUrl)).subscribers === 1, { what: 'one subscriber' })
    const before = (await stats(liveUrl)).eventsPublished
    const savedAt = await edit(dir, 'src/styles/a.css', 'rgb(200, 30, 30)', 'rgb(200, 30, 31)')
    timings.push(`sheet A ${await paintedAt(live.page, 0, 'rgb(200, 30, 31)') - savedAt} ms`)
    expect((await stats(liveUrl)).eventsPublished).toBe(before + 1)
    expect(await live.page.textContent('#counter')).toBe('count: 1')
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })
})
