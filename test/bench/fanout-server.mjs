// @ts-check
/**
 * The server side of the fan-out benchmark, in a process of its own (run with --expose-gc): `live-assets` (the
 * standalone core server) or `webpack-hot-middleware` (its middleware on node:http, fed by a webpack compiler that
 * never runs). Driven over IPC: publish a round, measure memory after gc, measure CPU over an idle period.
 *
 * `--redis <url>` puts live-assets on `redisBus({ url })` instead of the in-process `memoryBus()` (the bus section:
 * several of these processes share one Redis). Either bus is wrapped so that each process times its own deliveries:
 * when an entry reached it, when its writes were sent, and its CPU since the round's `mark`.
 */
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import process from 'node:process'
import { setTimeout as sleep } from 'node:timers/promises'
import { createLiveServer, memoryBus, silentLogger } from '@live-assets/core'
import { redisBus } from '@live-assets/redis'

const system = process.argv[2]
const heartbeatMs = Number(process.argv[3])
const redisAt = process.argv.indexOf('--redis')
const redisUrl = redisAt === -1 ? undefined : process.argv[redisAt + 1]
const require = createRequire(import.meta.url)
const now = () => performance.timeOrigin + performance.now()
/** The idle window starts at least this long after the forced collection, and once V8 has not collected for QUIET_MS. */
const IDLE_REST_MS = 15_000
const QUIET_MS = 10_000
const MAX_REST_MS = 60_000

/** When V8 last finished a full (major) collection, and how many it has done. */
let lastMajorGcAt = 0
let majors = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (/** @type {any} */ (entry).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      lastMajorGcAt = Math.max(lastMajorGcAt, performance.timeOrigin + entry.startTime + entry.duration)
      majors++
    }
  }
}).observe({ entryTypes: ['gc'] })

// Both systems' code is loaded in both processes, whichever one serves. Loading webpack grows V8's young generation
// to its maximum and leaves free heap behind, and gc() gives neither back: loaded in one process only, that memory
// would be in one baseline and counted per connection in the other.
const webpack = require('webpack')
const hotMiddleware = require('webpack-hot-middleware')
// The middleware only taps the compiler's `invalid` and `done` hooks; the compiler never runs.
const compiler = webpack({ mode: 'development', context: tmpdir(), entry: './never-built.js' })

/** CPU (user + system) since `start`, in ms. */
function cpuMsSince(start) {
  const { user, system } = process.cpuUsage(start)
  return (user + system) / 1000
}

/** The CPU reading each round starts from (`mark`), what the round's delivery here recorded, and who waits for it. */
const marks = new Map()
const deliveries = new Map()
const roundWaiters = new Map()
/** Entries delivered here, and those that arrived in the same tick as the one before (one read carrying several). */
const delivered = { entries: 0, batched: 0 }
const countWaiters = new Set()
let sameTick = false

/** Records a delivery once its writes have been sent: node:http sends them in the ticks after the entry. */
function recordDelivery(entry, entryAt) {
  delivered.entries++
  if (sameTick)
    delivered.batched++
  sameTick = true
  const round = Number(/round-(-?\d+)/.exec(entry.data)?.[1])
  setImmediate(() => {
    sameTick = false
    const mark = marks.get(round)
    deliveries.set(round, { entryAt, flushedAt: now(), cpuMs: mark && cpuMsSince(mark) })
    roundWaiters.get(round)?.()
    for (const waiter of countWaiters) {
      if (delivered.entries >= waiter.entries)
        waiter.resolve()
    }
  })
}

/** Resolves once `ready()` is true (checked after each delivery here), or after `timeout` ms. */
function deliveredOr(timeout, key, ready) {
  if (ready())
    return Promise.resolve()
  return new Promise((resolve) => {
    let timer
    const done = () => {
      clearTimeout(timer)
      roundWaiters.delete(key.round)
      countWaiters.delete(key)
      resolve(undefined)
    }
    timer = setTimeout(done, timeout)
    if (key.round !== undefined)
      roundWaiters.set(key.round, done)
    else
      countWaiters.add(Object.assign(key, { resolve: done }))
  })
}

/** The bus, with every entry this process delivers timed. */
function timed(bus) {
  return {
    name: bus.name,
    open: (listener, options) => bus.open({
      entry(entry) {
        const entryAt = now()
        listener.entry(entry)
        recordDelivery(entry, entryAt)
      },
      reset: (state, reason) => listener.reset(state, reason),
    }, options),
  }
}

async function start() {
  if (system === 'live-assets') {
    const bus = timed(redisUrl ? redisBus({ url: redisUrl }) : memoryBus())
    const live = await createLiveServer({ port: 0, heartbeatMs, logger: silentLogger, bus, requireBus: !!redisUrl })
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
        // the process is idle, V8's memory reducer follows a forced full GC with one or two of its own (`--trace-gc`:
        // "Mark-Compact (reduce)", ~0.3 s of CPU at 10,000 streams), 10 to 20 s later: wait until V8 has been quiet for
        // QUIET_MS, so that they belong to gc(), not to being idle. A full collection that a heartbeat causes falls in
        // the window and counts.
        memory()
        const restedAt = now()
        await sleep(IDLE_REST_MS)
        while (now() - lastMajorGcAt < QUIET_MS && now() - restedAt < MAX_REST_MS)
          await sleep(500)
        const restMs = now() - restedAt
        const majorsBefore = majors
        const start = process.cpuUsage()
        const startedAt = now()
        await sleep(message.ms)
        const { user, system } = process.cpuUsage(start)
        reply({ cpuMs: (user + system) / 1000, wallMs: now() - startedAt, restMs, majorGcs: majors - majorsBefore })
        break
      }
      case 'mark':
        deliveries.delete(message.round)
        marks.set(message.round, process.cpuUsage())
        reply({})
        break
      case 'delivery':
        // This process's delivery of the round, once it has happened (null after the timeout).
        await deliveredOr(message.timeout ?? 15_000, { round: message.round }, () => deliveries.has(message.round))
        reply({ delivery: deliveries.get(message.round) ?? null })
        break
      case 'burst': {
        // `count` events one after the other, each published `gapMs` after the one before was delivered here, so that
        // every read of the bus (in every process) carries one entry, as with events seconds apart. Per event:
        // publish -> id (the append's round trip) and publish -> entry delivered here.
        const appendMs = []
        const entryMs = []
        for (let i = 1; i <= message.count; i++) {
          const round = -(message.first + i)
          const publishedAt = now()
          await server.publish(round)
          appendMs.push(now() - publishedAt)
          await deliveredOr(15_000, { round }, () => deliveries.has(round))
          entryMs.push((deliveries.get(round)?.entryAt ?? Number.NaN) - publishedAt)
          deliveries.delete(round)
          if (message.gapMs)
            await sleep(message.gapMs)
        }
        reply({ appendMs, entryMs })
        break
      }
      case 'until':
        // Waits until this process has delivered `entries` entries in all.
        await deliveredOr(message.timeout ?? 15_000, { entries: message.entries }, () => delivered.entries >= message.entries)
        reply({ cpuMs: cpuMsSince(), ...delivered })
        break
      case 'cpu':
        reply({ cpuMs: cpuMsSince(), ...delivered })
        break
      case 'close':
        await server.close()
        reply({})
        process.exit(0)
    }
  })
  process.send({ ready: true, port: server.port, path: server.path, memory: memory() })
}
void main()
