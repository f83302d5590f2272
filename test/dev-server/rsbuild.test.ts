import type { LivePage } from '../utils/live-page'
import type { RunningServer } from './suite'
import { writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openPage } from '../utils/live-page'
import { copyPlayground, removeCopy } from '../utils/playground'
import { poll } from '../utils/poll'
import { edit, restyledAt, sampleStyles, stats } from './harness'
import { rsbuildRunner } from './rsbuild-runner'
import { describeDevServer, reloadedByBundler } from './suite'

const FILES = { a: 'src/styles/a.css', b: 'src/styles/b.css', partial: 'src/styles/partial.css', public: 'public/public.css' }

describeDevServer({
  name: 'rsbuild',
  files: FILES,
  requests: { a: /\/static\/css\/index\.css/, b: /\/static\/css\/theme\.css/ },
  bundledSheets: 'live-assets',
  // The app entry depends on the theme entry, whose chunk holds the runtime.
  bundleScripts: ['/static/js/theme.js', '/static/js/index.js'],
  reloadsOnRestart: false,
  ...rsbuildRunner(),
}, (context) => {
  it('runs inside Rsbuild\'s dev server: one client tag, no standalone live-assets server', async () => {
    const { page } = context().live
    expect(await page.$$eval('script[src="/__live_assets/client.js"]', scripts => scripts.length)).toBe(1)
    // The `rspack` entry's wiring would start the watch-mode server on its default port; under Rsbuild it must not run.
    await expect(fetch('http://127.0.0.1:35729/__live_assets/stats')).rejects.toThrow()
  })
})

describe('rsbuild dev server, Rsbuild\'s own checks and reloads', () => {
  let dir: string
  let server: RunningServer | undefined
  let live: LivePage | undefined

  beforeAll(async () => {
    dir = await copyPlayground('rsbuild')
  })
  afterEach(async () => {
    await live?.close()
    await server?.stop()
    live = server = undefined
  })
  afterAll(() => removeCopy(dir))

  it('the endpoints sit behind Rsbuild\'s Host check (server.allowedHosts)', async () => {
    server = await rsbuildRunner({ server: { allowedHosts: ['app.test'] } }).start(dir, 0)
    const status = (host: string): Promise<number> => new Promise((resolve, reject) => {
      const req = request(new URL('__live_assets/stats', server!.url), { headers: { host } }, (res) => {
        res.resume()
        resolve(res.statusCode!)
      })
      req.on('error', reject)
      req.end()
    })
    expect(await status('evil.test')).toBe(403)
    expect(await status('app.test')).toBe(200)
    expect(await status(`127.0.0.1:${server.port}`)).toBe(200)
  })

  it('with Rsbuild\'s default dev.hmr and dev.liveReload and publicDir.watch, a public stylesheet is swapped in place while other public files still reload the page', async () => {
    server = await rsbuildRunner({ dev: { hmr: true, liveReload: true } }).start(dir, 0)
    live = await openPage(server.url)
    await sampleStyles(live.page)
    const requests: string[] = []
    live.page.on('request', r => void requests.push(r.url()))

    await edit(dir, FILES.public, 'rgb(150, 30, 150)', 'rgb(150, 30, 141)')
    await restyledAt(live.page, '#public', 'rgb(150, 30, 141)')
    // An observation window, not a wait for readiness: Rsbuild's publicDir reload, had it fired, shows itself in it.
    await live.page.waitForTimeout(1_000)
    expect(await live.sentinel()).toBe(live.firstSentinel)
    expect(requests.filter(url => url.includes('/public.css'))).toEqual([expect.stringMatching(/[?&]la=/)])

    await writeFile(path.join(dir, 'public/notes.txt'), 'a file live-assets does not update\n')
    await reloadedByBundler(live, live.firstSentinel)
    await poll(async () => (await stats(server!.url)).subscribers === 1, { what: 'one subscriber after the reload' })
  }, 60_000)
})
