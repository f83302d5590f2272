import type { InlineConfig, PluginOption, ViteDevServer } from 'vite'
import type { LivePage } from '../utils/live-page'
import type { RunningServer } from './suite'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { expect, it } from 'vitest'
import { openPage } from '../utils/live-page'
import { startPageServer } from '../utils/page-server'
import { poll } from '../utils/poll'
import { edit, loadFrom, openStream, restyledAt, stats } from './harness'
import { describeDevServer, reloadedByBundler } from './suite'

type Vite = typeof import('vite')

function inlineConfig(dir: string): InlineConfig {
  return {
    root: dir,
    configFile: path.join(dir, 'vite.config.ts'),
    cacheDir: path.join(dir, '.vite'),
    logLevel: 'warn',
  }
}

let vite: ViteDevServer | undefined

describeDevServer({
  name: 'vite',
  files: { a: 'src/styles/a.css', b: 'src/styles/b.css', partial: 'src/styles/partial.css', public: 'public/public.css' },
  requests: { a: /\/src\/styles\/a\.css/, b: /\/src\/styles\/b\.css/ },
  bundledSheets: 'vite',
  reloadsOnRestart: true,
  async start(dir, port): Promise<RunningServer> {
    const { createServer } = await loadFrom<Vite>(dir, 'vite')
    const server = await createServer({ ...inlineConfig(dir), server: { host: '127.0.0.1', port, strictPort: true } })
    await server.listen()
    vite = server
    const { port: actual } = server.httpServer!.address() as { port: number }
    return { url: `http://127.0.0.1:${actual}/`, port: actual, stop: () => server.close() }
  },
  async build(dir) {
    const { build } = await loadFrom<Vite>(dir, 'vite')
    await build({ ...inlineConfig(dir), logLevel: 'silent' })
    return path.join(dir, 'dist')
  },
}, (context) => {
  it('server.restart() leaves exactly one live-assets handler', async () => {
    const handlers = (): unknown[] => vite!.middlewares.stack.filter(layer => typeof (layer.handle as { publish?: unknown }).publish === 'function')
    expect(handlers()).toHaveLength(1)
    const [before] = handlers()
    const { live, server, dir } = context()
    const sentinel = await live.sentinel()
    await vite!.restart()
    expect(handlers()).toHaveLength(1)
    expect(handlers()[0]).not.toBe(before)

    await reloadedByBundler(live, sentinel)
    await poll(async () => (await stats(server.url)).subscribers === 1, { timeout: 30_000, what: 'one subscriber after restart()' })
    const swaps = (await live.events('after-swap')).length
    await edit(dir, 'public/public.css', 'rgb(150, 30, 152)', 'rgb(150, 30, 160)')
    await restyledAt(live.page, '#public', 'rgb(150, 30, 160)')
    await live.page.waitForTimeout(300)
    expect(await live.events('after-swap')).toHaveLength(swaps + 1)
    await edit(dir, 'public/public.css', 'rgb(150, 30, 160)', 'rgb(150, 30, 152)')
    await restyledAt(live.page, '#public', 'rgb(150, 30, 152)')
  }, 90_000)

  it('a backend page on another origin gets the client from Vite and restyles when a `watch`ed asset changes', async () => {
    const { dir } = context()
    const assets = path.join(dir, 'backend/assets')
    await mkdir(assets, { recursive: true })
    await writeFile(path.join(assets, 'site.css'), '#site {\n  color: rgb(10, 10, 10);\n}\n')
    const backend = await startPageServer({ root: path.join(dir, 'backend') })
    const { createServer } = await loadFrom<Vite>(dir, 'vite')
    const { default: liveAssets } = await loadFrom<{ default: (options: object) => PluginOption }>(dir, 'unplugin-live-assets/vite')
    const plugin = liveAssets({ watch: { paths: 'backend/assets/**/*.css', urlBase: '/assets' }, allowedOrigins: [backend.url] })
    const server = await createServer({ root: dir, configFile: false, cacheDir: path.join(dir, '.vite'), logLevel: 'warn', plugins: [plugin], server: { host: '127.0.0.1', port: 0 } })
    let live: LivePage | undefined
    try {
      await server.listen()
      const { port } = server.httpServer!.address() as { port: number }
      await writeFile(path.join(dir, 'backend/index.html'), `<!doctype html>
<link rel="stylesheet" href="/assets/site.css">
<script src="http://127.0.0.1:${port}/__live_assets/client.js"></script>
<p id="site">A page rendered by a backend</p>
`)
      live = await openPage(`${backend.url}/index.html`)
      await writeFile(path.join(assets, 'site.css'), '#site {\n  color: rgb(10, 10, 11);\n}\n')
      await live.page.waitForFunction(() => getComputedStyle(document.querySelector('#site')!).color === 'rgb(10, 10, 11)', undefined, { timeout: 20_000 })
      expect(await live.sentinel()).toBe(live.firstSentinel)
      expect(backend.requests.filter(r => r.path === '/assets/site.css').map(r => r.search.has('la'))).toEqual([false, true])
    }
    finally {
      await live?.close()
      await server.close()
      await backend.close()
    }
  }, 60_000)

  it('server.restart() with an inline plugin object (reused by the new server) keeps one working handler', async () => {
    const { dir } = context()
    const { createServer } = await loadFrom<Vite>(dir, 'vite')
    const { default: liveAssets } = await loadFrom<{ default: () => PluginOption }>(dir, 'unplugin-live-assets/vite')
    const server = await createServer({ root: dir, configFile: false, cacheDir: path.join(dir, '.vite'), logLevel: 'warn', plugins: [liveAssets()], server: { host: '127.0.0.1', port: 0 } })
    try {
      await server.listen()
      for (let i = 0; i < 3; i++)
        await server.restart()
      const { port } = server.httpServer!.address() as { port: number }
      const url = `http://127.0.0.1:${port}/`
      expect(server.middlewares.stack.filter(layer => typeof (layer.handle as { publish?: unknown }).publish === 'function')).toHaveLength(1)
      const { headers, firstChunk } = await openStream(url)
      expect(headers['content-type']).toBe('text/event-stream; charset=utf-8')
      expect(firstChunk).toMatch(/^retry: \d+/)
    }
    finally {
      await server.close()
    }
  }, 60_000)

  it('refreshes a changed image in public/ in place (Vite itself sends nothing for it)', async () => {
    const { dir, server } = context()
    const svg = (size: number): string => `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"/>`
    const width = (page: LivePage): Promise<number> => page.page.evaluate(() => document.querySelector('img')!.naturalWidth)
    await writeFile(path.join(dir, 'public/live-image.svg'), svg(10))
    // Public HTML is served as is: it loads the client itself.
    await writeFile(path.join(dir, 'public/live-image.html'), '<!doctype html>\n<script src="/__live_assets/client.js"></script>\n<img src="/live-image.svg">\n')
    const live = await openPage(new URL('live-image.html', server.url).href)
    try {
      await poll(async () => await width(live) === 10, { what: 'the image' })
      await writeFile(path.join(dir, 'public/live-image.svg'), svg(20))
      await poll(async () => await width(live) === 20, { timeout: 20_000, what: 'the new image' })
      expect(await live.page.evaluate(() => document.querySelector('img')!.getAttribute('src'))).toMatch(/^\/live-image\.svg\?la=[\w-]+$/)
      expect(await live.sentinel()).toBe(live.firstSentinel)
    }
    finally {
      await live.close()
      // The production build later in this file copies public/ and must find no page that loads the client.
      await Promise.all(['live-image.html', 'live-image.svg'].map(file => rm(path.join(dir, 'public', file))))
    }
  }, 60_000)
})
