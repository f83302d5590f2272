import type { InlineConfig, PluginOption, ViteDevServer } from 'vite'
import type { Stream } from './stream'
import { createRequire } from 'node:module'
import path from 'node:path'
import process from 'node:process'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { edit, loadFrom } from '../dev-server/harness'
import { loadWebpackConfig } from '../dev-server/webpack-like'
import { copyPlayground, removeCopy } from '../utils/playground'
import { poll } from '../utils/poll'
import { freePort, openStream } from './stream'

const CYCLES = 20
/** An unusual heartbeat, so that the live-assets heartbeat timers can be told apart from everyone else's. */
const HEARTBEAT_MS = 4321

/** Counts the live-assets heartbeat intervals alive in this process (the dev servers run in it). */
function trackHeartbeats(): { alive: () => number, restore: () => void } {
  const alive = new Set<unknown>()
  const { setInterval: set, clearInterval: clear } = globalThis
  globalThis.setInterval = ((fn: () => void, ms?: number, ...args: unknown[]) => {
    const timer = set(fn, ms, ...args)
    if (ms === HEARTBEAT_MS)
      alive.add(timer)
    return timer
  }) as typeof setInterval
  globalThis.clearInterval = ((timer?: NodeJS.Timeout | string | number) => {
    alive.delete(timer)
    return clear(timer)
  }) as typeof clearInterval
  return {
    alive: () => alive.size,
    restore() {
      globalThis.setInterval = set
      globalThis.clearInterval = clear
    },
  }
}

/** Long-lived handles: file watchers, listening servers, child processes. Requests and sockets come and go. */
const LASTING = new Set(['FSEventWrap', 'StatWatcher', 'TCPServerWrap', 'ProcessWrap'])

/** Lasting handles alive now, by kind, to spot one that grows with every cycle. */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo().filter(kind => LASTING.has(kind)))
    counts[kind] = (counts[kind] ?? 0) + 1
  return counts
}

interface Cycle {
  /** The dev server's port now. */
  port: () => number
  /** Live-assets middlewares mounted in the dev server now. */
  handlers: () => number
}

/**
 * After each restart: the same port, one live-assets handler mounted, one heartbeat timer alive, a new epoch, the
 * old page's stream ended by the old handler, the new one the only subscriber.
 */
async function checkCycles(name: string, url: (port: number) => string, cycle: Cycle, restart: () => Promise<void>, heartbeats: ReturnType<typeof trackHeartbeats>): Promise<void> {
  const port = cycle.port()
  const epochs = new Set<string>()
  let stream: Stream | undefined
  const connect = async (): Promise<Stream> => {
    const next = await openStream(`${url(port)}__live_assets/events`)
    expect(next.status).toBe(200)
    await poll(() => next.events.length > 0, { what: 'hello', timeout: 15_000 })
    epochs.add(JSON.parse(next.events[0].data).epoch)
    return next
  }
  stream = await connect()
  const handles: Record<string, number>[] = []
  const started = performance.now()
  for (let i = 1; i <= CYCLES; i++) {
    const previous = stream
    await restart()
    expect(cycle.port(), `cycle ${i}: port`).toBe(port)
    expect(cycle.handlers(), `cycle ${i}: live-assets handlers mounted`).toBe(1)
    expect(heartbeats.alive(), `cycle ${i}: heartbeat timers alive`).toBe(1)
    await poll(() => previous.endedAt !== undefined, { what: `cycle ${i}: the old stream to end`, timeout: 15_000 })
    stream = await connect()
    expect(epochs.size, `cycle ${i}: a new epoch`).toBe(i + 1)
    const stats = await fetch(`${url(port)}__live_assets/stats`).then(r => r.json() as Promise<{ subscribers: number }>)
    expect(stats.subscribers, `cycle ${i}: subscribers`).toBe(1)
    handles.push(resources())
  }
  stream.close()
  // A leak grows with every cycle; a watcher still closing, or one not opened yet, is off by one at most. So the
  // end must be back within the highest count of the first five cycles.
  const early: Record<string, number> = {}
  for (const counts of handles.slice(0, 5)) {
    for (const [kind, n] of Object.entries(counts))
      early[kind] = Math.max(early[kind] ?? 0, n)
  }
  const grown = (): string[] => {
    const now = resources()
    return Object.keys(now).filter(kind => now[kind] > (early[kind] ?? 0))
  }
  await poll(() => grown().length === 0, { what: 'lasting handles back to their count in the first cycles', timeout: 15_000 }).catch(() => {})
  console.info(`[reliability] ${name}: ${CYCLES} cycles in ${((performance.now() - started) / 1000).toFixed(1)} s on port ${port}: 1 handler, 1 heartbeat timer, ${epochs.size} epochs, 1 subscriber after each; lasting handles, most in cycles 1-5 ${JSON.stringify(early)}, after cycle ${CYCLES} ${JSON.stringify(resources())}`)
  expect(grown(), 'kinds of handles that grew from cycle 1 to the last').toEqual([])
}

let cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const step of cleanup.reverse())
    await step()
  cleanup = []
})

describe('dev-server lifecycle', () => {
  async function viteRestarts(inline: boolean): Promise<void> {
    const dir = await copyPlayground('vite')
    cleanup.push(() => removeCopy(dir))
    await edit(dir, 'vite.config.ts', 'liveAssets()', `liveAssets({ heartbeatMs: ${HEARTBEAT_MS} })`)
    const heartbeats = trackHeartbeats()
    cleanup.push(heartbeats.restore)
    const { createServer } = await loadFrom<typeof import('vite')>(dir, 'vite')
    const { default: liveAssets } = await loadFrom<{ default: (options: { heartbeatMs: number }) => PluginOption }>(dir, 'unplugin-live-assets/vite')
    const config: InlineConfig = inline
      ? { root: dir, configFile: false, plugins: [liveAssets({ heartbeatMs: HEARTBEAT_MS })] }
      : { root: dir, configFile: path.join(dir, 'vite.config.ts') }
    // strictPort: a restart that cannot have its port back throws (EADDRINUSE) instead of moving on.
    const server: ViteDevServer = await createServer({ ...config, cacheDir: path.join(dir, '.vite'), logLevel: 'warn', server: { host: '127.0.0.1', port: await freePort(), strictPort: true } })
    cleanup.push(() => server.close())
    await server.listen()
    await checkCycles(`vite server.restart(), ${inline ? 'inline plugin' : 'config file'}`, port => `http://127.0.0.1:${port}/`, {
      port: () => (server.httpServer!.address() as { port: number }).port,
      handlers: () => server.middlewares.stack.filter(layer => typeof (layer.handle as { publish?: unknown }).publish === 'function').length,
    }, () => server.restart(), heartbeats)
  }

  it(`vite: server.restart() x${CYCLES} with the plugin from vite.config.ts (each restart loads a new plugin)`, () => viteRestarts(false))

  // Vite reuses an inline plugin object across restarts: both servers' sessions live in one plugin.
  it(`vite: server.restart() x${CYCLES} with an inline plugin (each restart reuses the plugin object)`, () => viteRestarts(true))

  interface WebpackLike {
    compiler: { options: { devServer?: object }, close: (callback: () => void) => void }
    DevServer: new (options: object, compiler: unknown) => {
      start: () => Promise<void>
      stop: () => Promise<void>
      server: { address: () => { port: number } }
      app: Record<string, { stack?: { handle?: { publish?: unknown, broadcaster?: unknown } }[] } | undefined>
      middleware: { waitUntilValid: (callback: () => void) => void }
    }
  }

  async function devServerRestarts(name: string, playground: string, configFile: string, load: (dir: string) => Promise<WebpackLike>): Promise<void> {
    const dir = await copyPlayground(playground)
    cleanup.push(() => removeCopy(dir))
    await edit(dir, configFile, 'liveAssets()', `liveAssets({ heartbeatMs: ${HEARTBEAT_MS} })`)
    const heartbeats = trackHeartbeats()
    cleanup.push(heartbeats.restore)
    const { compiler, DevServer } = await load(dir)
    const server = new DevServer({ ...compiler.options.devServer, host: '127.0.0.1', port: await freePort(), setupExitSignals: false }, compiler)
    cleanup.push(() => new Promise<void>(resolve => compiler.close(() => resolve())))
    cleanup.push(() => server.stop())
    await server.start()
    // express 4 keeps its middleware stack in app._router, express 5 in app.router, connect in app itself.
    const stack = (): { handle?: { publish?: unknown, broadcaster?: unknown } }[] => (server.app._router ?? server.app.router ?? server.app as { stack?: [] })?.stack ?? []
    await checkCycles(`${name} stop()/start()`, port => `http://127.0.0.1:${port}/`, {
      port: () => server.server.address().port,
      // The live-assets handler: webpack-dev-middleware 8 has a `publish` of its own.
      handlers: () => stack().filter(layer => typeof layer.handle?.publish === 'function' && layer.handle.broadcaster !== undefined).length,
    }, async () => {
      await server.stop()
      await server.start()
      // Each start compiles again; its file watchers exist once the bundle is valid.
      await new Promise<void>(resolve => server.middleware.waitUntilValid(() => resolve()))
    }, heartbeats)
  }

  it(`webpack-dev-server: stop() and start() x${CYCLES}`, () => devServerRestarts('webpack-dev-server', 'webpack', 'webpack.config.ts', async (dir) => {
    const require = createRequire(path.join(dir, 'package.json'))
    const webpack = require('webpack')
    return {
      compiler: webpack({ ...loadWebpackConfig<object>(dir), stats: 'none', infrastructureLogging: { level: 'warn' } }),
      DevServer: require('webpack-dev-server'),
    }
  }))

  it(`@rspack/dev-server: stop() and start() x${CYCLES}`, () => devServerRestarts('@rspack/dev-server', 'rspack', 'rspack.config.mjs', async (dir) => {
    const { default: config } = await import(pathToFileURL(path.join(dir, 'rspack.config.mjs')).href) as { default: object }
    const { rspack } = await loadFrom<{ rspack: (config: object) => WebpackLike['compiler'] }>(dir, '@rspack/core')
    const { RspackDevServer } = await loadFrom<{ RspackDevServer: WebpackLike['DevServer'] }>(dir, '@rspack/dev-server')
    return { compiler: rspack({ ...config, stats: 'none', infrastructureLogging: { level: 'warn' } }), DevServer: RspackDevServer }
  }))
})
