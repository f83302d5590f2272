import type { Bus, LiveServer } from '@live-assets/core'
import type { Logger, PluginOption, ViteDevServer } from 'vite'
import type { Stream } from '../reliability/stream'
import type { RedisServer } from '../utils/redis'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createLiveServer, silentLogger } from '@live-assets/core'
import { redisBus } from '@live-assets/redis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadFrom } from '../dev-server/harness'
import { freePort, openStream } from '../reliability/stream'
import { copyPlayground, removeCopy } from '../utils/playground'
import { poll } from '../utils/poll'
import { startRedis } from '../utils/redis'

let redis: RedisServer
let cleanup: (() => Promise<unknown> | unknown)[] = []

beforeAll(async () => {
  redis = await startRedis()
})
afterEach(async () => {
  for (const step of cleanup.reverse())
    await step()
  cleanup = []
})
afterAll(() => redis?.close())

/** The plugin's options used here (the plugin is loaded from the copy's node_modules, untyped). */
interface Options { bus: Bus }

/** A Vite dev server of the vite playground with the plugin given these options; its warnings are kept. */
async function vite(options: Options): Promise<{ server: ViteDevServer, url: string, warnings: string[] }> {
  const dir = await copyPlayground('vite')
  cleanup.push(() => removeCopy(dir))
  const { createServer, createLogger } = await loadFrom<typeof import('vite')>(dir, 'vite')
  const { default: liveAssets } = await loadFrom<{ default: (options: Options) => PluginOption }>(dir, 'unplugin-live-assets/vite')
  const warnings: string[] = []
  const logger: Logger = { ...createLogger('silent'), warn: message => void warnings.push(message) }
  const server = await createServer({ root: dir, configFile: false, plugins: [liveAssets(options)], customLogger: logger, cacheDir: path.join(dir, '.vite'), server: { host: '127.0.0.1', port: await freePort(), strictPort: true } })
  cleanup.push(() => server.close())
  await server.listen()
  return { server, url: `http://127.0.0.1:${(server.httpServer!.address() as { port: number }).port}`, warnings }
}

async function stream(url: string): Promise<Stream> {
  const opened = await openStream(`${url}/__live_assets/events`)
  cleanup.push(() => opened.close())
  await poll(() => opened.events.some(event => event.event === 'hello'), { what: `hello from ${url}` })
  return opened
}

const named = (opened: Stream, name: string): Stream['events'] => opened.events.filter(event => event.event === name)

describe('the bundler plugin on a Redis bus', () => {
  it('shares one log between a Vite dev server and a CLI-like server: edits go both ways, with the same ids', async () => {
    const dev = await vite({ bus: redisBus({ url: redis.url }) })
    const live: LiveServer = await createLiveServer({ port: 0, logger: silentLogger, bus: redisBus({ url: redis.url }), requireBus: true })
    cleanup.push(() => live.close())
    const [onDev, onLive] = [await stream(dev.url), await stream(live.url)]

    // A public/ stylesheet saved under Vite reaches the pages of the other server.
    await writeFile(path.join(dev.server.config.root, 'public/public.css'), '.public { color: rgb(1, 2, 3); }\n')
    await poll(() => named(onLive, 'reloadCSS').length === 1, { what: 'the Vite edit on the other server' })
    expect(JSON.parse(named(onLive, 'reloadCSS')[0]!.data)).toEqual({ files: ['/public.css'] })

    // An event published on the other server reaches Vite's pages.
    const id = await live.publish('reloadCSS', { files: ['/from-cli.css'] })
    // Each process reads the log on its own: the publisher's own page may get it last.
    await poll(() => [onDev, onLive].every(opened => named(opened, 'reloadCSS').some(event => event.id === id)), { what: 'the other server\'s event on both pages' })
    expect(named(onDev, 'reloadCSS').map(event => event.id)).toEqual(named(onLive, 'reloadCSS').map(event => event.id))
    expect(dev.warnings).toEqual([])
  })

  it('keeps a dev server working on its own when Redis cannot be reached, and says so', async () => {
    const dev = await vite({ bus: redisBus({ url: 'redis://127.0.0.1:1' }) })
    const onDev = await stream(dev.url)
    await writeFile(path.join(dev.server.config.root, 'public/public.css'), '.public { color: rgb(4, 5, 6); }\n')
    await poll(() => named(onDev, 'reloadCSS').length === 1, { what: 'the edit on the dev server\'s own page' })
    expect(dev.warnings.join('\n')).toMatch(/\[live-assets\] could not reach Redis at redis:\/\/127\.0\.0\.1:1 .*only its own pages/)
    const stats = await fetch(`${dev.url}/__live_assets/stats`).then(answer => answer.json() as Promise<{ bus: { name: string } }>)
    expect(stats.bus.name).toBe('memory')
  })
})
