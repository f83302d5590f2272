// @ts-check
/**
 * The server side of the fan-out benchmark, in a process of its own (run with --expose-gc): `live-assets` (the
 * standalone core server) or `webpack-hot-middleware` (its middleware on node:http, fed by a webpack compiler that
 * never runs). Driven over IPC: publish a round, measure memory after gc, measure CPU over an idle period.
 */
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import process from 'node:process'
import { setTimeout as sleep } from 'node:timers/promises'
import { createLiveServer, silentLogger } from '@live-assets/core'

const system = process.argv[2]
const heartbeatMs = Number(process.argv[3])
const require = createRequire(import.meta.url)
const now = () => performance.timeOrigin + performance.now()
const IDLE_REST_MS = 15_000

// Both systems' code is loaded in both processes, whichever one serves. Loading webpack grows V8's young generation
// to its maximum and leaves free heap behind, and gc() gives neither back: loaded in one process only, that memory
// would be in one baseline and counted per connection in the other.
const webpack = require('webpack')
const hotMiddleware = require('webpack-hot-middleware')
// The middleware only taps the compiler's `invalid` and `done` hooks; the compiler never runs.
const compiler = webpack({ mode: 'development', context: tmpdir(), entry: './never-built.js' })

async function start() {
  if (system === 'live-assets') {
    const live = await createLiveServer({ port: 0, heartbeatMs, logger: silentLogger })
    return {
      port: live.port,
      path: '/__live_assets/events',
      publish: round => live.handler.publish('reloadCSS', { files: [`/round-${round}.css`] }),
      // Not over HTTP: the first fetch() would load undici (and its WebAssembly parser) between two memory readings.
      subscribers: async () => live.handler.broadcaster.stats().subscribers,
      close: () => live.close(),
    }
  }
  if (system === 'webpack-hot-middleware') {
    const middleware = hotMiddleware(compiler, { log: false, heartbeat: heartbeatMs })
    const server = createServer((req, res) => middleware(req, res, () => res.writeHead(404).end()))
    server.keepAliveTimeout = 0
    await new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(undefined)))
    return {
      port: server.address().port,
      path: '/__webpack_hmr',
      publish: round => middleware.publish({ action: 'bench', name: `round-${round}` }),
      subscribers: () => new Promise(resolve => server.getConnections((_error, count) => resolve(count))),
      close: () => new Promise((resolve) => {
        middleware.close()
        server.close(() => resolve(undefined))
        server.closeAllConnections()
      }),
    }
  }
  throw new Error(`unknown system ${system}`)
}

function memory() {
  for (let i = 0; i < 3; i++)
    globalThis.gc?.()
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage()
  return { rss, heapTotal, heapUsed, external, arrayBuffers }
}

async function main() {
  const server = await start()
  process.on('message', async (message) => {
    const reply = value => process.send({ id: message.id, ...value })
    switch (message.cmd) {
      case 'publish': {
        const cpu = process.cpuUsage()
        const publishedAt = now()
        server.publish(message.round)
        const returnedAt = now()
        // node:http corks a socket on write() and uncorks it on the next tick: the writes reach the kernel after
        // publish() returns, in the ticks that run before this immediate.
        setImmediate(() => {
          const flushedAt = now()
          const { user, system } = process.cpuUsage(cpu)
          reply({ publishedAt, returnedAt, flushedAt, cpuMs: (user + system) / 1000 })
        })
        break
      }
      case 'memory':
        reply({ memory: memory(), subscribers: await server.subscribers() })
        break
      case 'idle-cpu': {
        // Collect what the rounds left behind first, so the window holds heartbeats, not that garbage collection. Once
        // the process is idle, V8's memory reducer follows a forced full GC with one or two of its own about 10 s later
        // (`--trace-gc`: "Mark-Compact (reduce)", ~0.3 s of CPU at 10,000 streams): wait them out too, they belong to
        // gc(), not to being idle.
        memory()
        await sleep(IDLE_REST_MS)
        const start = process.cpuUsage()
        const startedAt = now()
        await sleep(message.ms)
        const { user, system } = process.cpuUsage(start)
        reply({ cpuMs: (user + system) / 1000, wallMs: now() - startedAt })
        break
      }
      case 'close':
        await server.close()
        reply({})
        process.exit(0)
    }
  })
  process.send({ ready: true, port: server.port, path: server.path, memory: memory() })
}
void main()
