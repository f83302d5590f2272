// @ts-check
/**
 * Fan-out through the Redis bus against the in-process broadcaster, at equal N, with the fan-out section's own server
 * and clients (fanout-server.mjs, with `--redis <url>` for the Redis systems, and fanout-clients.mjs):
 *
 *   memory    one server process on `memoryBus()`, the default
 *   redis-1   one server process on `redisBus({ url })`
 *   redis-2   two server processes on one Redis, the streams split evenly between them, the publisher the first
 *
 * Each Redis system has a redis-server of its own (test/utils/redis.ts), so that the CPU read from a redis-server's
 * /proc entry is that system's alone. All servers stay up for the whole section and every measurement of the three is
 * shuffled into one order, so that background load falls on all of them alike.
 *
 * Part one, the bus alone: events published one after the other with no stream open, each once the one before has
 * reached the publisher; CPU per event of every server process and of the redis-server, network bytes of the
 * redis-server. Part two, per N: rounds as in the fan-out section, publish -> event read at the client, and the CPU
 * each server process spends from the round's start until it has sent the event to all its streams.
 */
import { Buffer } from 'node:buffer'
import { execFileSync } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { encodeMessage } from '@live-assets/core'
import { child, CLIENT_PROCESSES, CLIENTS, receiptLatencies, SERVER, waitUntil } from './fanout.mjs'
import { importTestModule } from './fixtures.mjs'
import { quantile, shuffle, summarize } from './stats.mjs'

/** Longer than the section: no heartbeat falls into a measurement. */
const HEARTBEAT_MS = 3_600_000
/** The unit of utime and stime in /proc/<pid>/stat. */
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim())

export const BUS_SYSTEMS = [
  { name: 'memory', label: 'memoryBus, 1 process', processes: 1, redis: false },
  { name: 'redis-1', label: 'redisBus, 1 process', processes: 1, redis: true },
  { name: 'redis-2', label: 'redisBus, 2 processes', processes: 2, redis: true },
]

/** CPU time (user + system) of a process from /proc/<pid>/stat, in ms: clock ticks, 10 ms each at CLK_TCK 100. */
async function statCpuMs(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 1000 / CLK_TCK
}

/** The same to the nanosecond where the kernel keeps it: `se.sum_exec_runtime` of every thread, in ms; NaN if not. */
async function schedCpuMs(pid) {
  let total = 0
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const sched = await readFile(`/proc/${pid}/task/${tid}/sched`, 'utf8').catch(() => '')
    const match = /se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(sched)
    if (!match)
      return Number.NaN
    total += Number(match[1])
  }
  return total
}

/** The redis-server's CPU, both ways. */
async function redisCpu(redis) {
  return { stat: await statCpuMs(redis.pid), sched: await schedCpuMs(redis.pid) }
}

/**
 * Redis's own count of the bytes it read and wrote (INFO stats). The count read after a burst holds the reply to the
 * INFO before it and its own request: both are taken off by the caller.
 */
async function redisNet(redis) {
  const info = await redis.command('INFO', 'stats')
  const count = name => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1])
  return { in: count('total_net_input_bytes'), out: count('total_net_output_bytes'), replyBytes: Buffer.byteLength(info) + 16 }
}

const INFO_REQUEST_BYTES = Buffer.byteLength('*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n')

/** The round's publish, and each server process's delivery of it: when it reached the process, when it was sent, the CPU. */
async function publishRound(system, round) {
  await Promise.all(system.servers.map(server => server.ask({ cmd: 'mark', round })))
  const { publishedAt } = await system.servers[0].ask({ cmd: 'publish', round })
  const deliveries = await Promise.all(system.servers.map(server => server.ask({ cmd: 'delivery', round })))
  return { publishedAt, deliveries: deliveries.map(reply => reply.delivery) }
}

/** Pause after each burst event: long enough for the other process to read it too, so that no read carries two. */
const GAP_MS = 1
/** How long each redis-server's idle CPU is read for. */
const IDLE_MS = 3_000

/**
 * The bus alone: `events` events per system in `blocks` blocks, all blocks of all systems in one random order. The
 * redis-server's idle CPU (its 10 Hz timer, the processes' presence every 5 s) is read first and taken off.
 */
async function measureBursts(systems, { events, blocks, log }) {
  const count = Math.ceil(events / blocks)
  const idle = new Map()
  const idleAt = performance.now()
  for (const system of systems.filter(s => s.redis))
    idle.set(system, await redisCpu(system.redis))
  await sleep(IDLE_MS)
  const idleWallMs = performance.now() - idleAt
  for (const system of systems.filter(s => s.redis))
    idle.set(system, (await schedCpuMs(system.redis.pid) - idle.get(system).sched) / idleWallMs)
  const totals = new Map(systems.map(system => [system, {
    events: 0,
    cpuMs: system.servers.map(() => 0),
    blockCpuUs: system.servers.map(() => []),
    batched: system.servers.map(() => 0),
    redisCpuMs: { stat: 0, sched: 0 },
    redisIdleMs: 0,
    net: { in: 0, out: 0 },
    appendMs: [],
    entryMs: [],
    wallMs: 0,
  }]))
  log(`bus: ${count * blocks} events through each system, no streams open, in ${blocks} blocks each after one warm-up block`)
  // One block each first, unmeasured: the blocks then run optimised code, in every process.
  for (const system of systems) {
    await system.servers[0].ask({ cmd: 'burst', count, first: 1_000_000, gapMs: GAP_MS })
    await Promise.all(system.servers.slice(1).map(server => server.ask({ cmd: 'until', entries: count })))
  }
  for (const system of shuffle(systems.flatMap(system => Array.from({ length: blocks }, () => system)))) {
    const total = totals.get(system)
    const { redis } = system
    const netBefore = redis && await redisNet(redis)
    const redisBefore = redis && await redisCpu(redis)
    const before = await Promise.all(system.servers.map(server => server.ask({ cmd: 'cpu' })))
    const startedAt = performance.now()
    const { appendMs, entryMs } = await system.servers[0].ask({ cmd: 'burst', count, first: total.events, gapMs: GAP_MS })
    const after = await Promise.all(system.servers.map((server, i) => server.ask({ cmd: 'until', entries: before[i].entries + count })))
    const wallMs = performance.now() - startedAt
    total.wallMs += wallMs
    if (redis) {
      total.redisIdleMs += idle.get(system) * wallMs
      const redisAfter = await redisCpu(redis)
      const netAfter = await redisNet(redis)
      total.redisCpuMs.stat += redisAfter.stat - redisBefore.stat
      total.redisCpuMs.sched += redisAfter.sched - redisBefore.sched
      total.net.in += netAfter.in - netBefore.in - INFO_REQUEST_BYTES
      total.net.out += netAfter.out - netBefore.out - netBefore.replyBytes
    }
    after.forEach((reply, i) => {
      if (reply.entries - before[i].entries !== count)
        throw new Error(`server process ${i + 1} of ${system.name} delivered ${reply.entries - before[i].entries} of ${count} burst events`)
      total.cpuMs[i] += reply.cpuMs - before[i].cpuMs
      total.blockCpuUs[i].push((reply.cpuMs - before[i].cpuMs) * 1000 / count)
      total.batched[i] += reply.batched - before[i].batched
    })
    total.events += count
    total.appendMs.push(...appendMs)
    total.entryMs.push(...entryMs)
  }
  // What the timer's wake-up costs: the in-process events again, back to back.
  const memory = systems.find(system => !system.redis)
  const before = await memory.servers[0].ask({ cmd: 'cpu' })
  await memory.servers[0].ask({ cmd: 'burst', count: count * blocks, first: 2_000_000 })
  const backToBackUs = ((await memory.servers[0].ask({ cmd: 'cpu' })).cpuMs - before.cpuMs) * 1000 / (count * blocks)
  return systems.map((system) => {
    const total = totals.get(system)
    const perEvent = v => v * 1000 / total.events
    return {
      system: system.name,
      label: system.label,
      processes: system.processes,
      events: total.events,
      blocks,
      /**
       * µs of CPU per event, per server process (the publisher first): the median of the blocks (a block that met a
       * burst of background load moves it less than it would move the mean), their quartiles, and the mean.
       */
      cpuUs: total.blockCpuUs.map(values => summarize(values).median),
      cpuUsQuartiles: total.blockCpuUs.map(values => [0.25, 0.75].map(q => quantile([...values].sort((a, b) => a - b), q))),
      cpuUsMean: total.cpuMs.map(perEvent),
      /** Share of entries that came in the same tick as the one before (a read that carried several). */
      batched: total.batched.map(b => b / total.events),
      /** µs of the redis-server's CPU per event, its idle CPU over the same time taken off. */
      redisCpuUs: system.redis ? { stat: perEvent(total.redisCpuMs.stat - total.redisIdleMs), sched: perEvent(total.redisCpuMs.sched - total.redisIdleMs) } : undefined,
      redisIdlePercent: system.redis ? idle.get(system) * 100 : undefined,
      redisBytes: system.redis ? { in: total.net.in / total.events, out: total.net.out / total.events } : undefined,
      appendMs: summarize(total.appendMs),
      entryMs: summarize(total.entryMs),
      gapMs: GAP_MS,
      backToBackUs: system === memory ? backToBackUs : undefined,
    }
  })
}

/** One N: every system's streams open at once, each system's rounds shuffled with the others'. */
async function measureRounds(systems, n, { rounds, log }) {
  const per = Math.ceil(n / CLIENT_PROCESSES)
  for (const system of systems) {
    const startedAt = Date.now()
    system.clients = []
    // Client processes go round the server processes: with two, each gets half of the streams.
    for (let i = 0, left = n; left > 0; i++, left -= per) {
      const { port, path } = system.ready[i % system.servers.length]
      system.clients.push(child(CLIENTS, [`http://127.0.0.1:${port}${path}`, Math.min(per, left)]))
    }
    const readies = await Promise.all(system.clients.map(c => c.ready))
    system.open = readies.reduce((sum, r) => sum + r.open, 0)
    system.failed = readies.reduce((sum, r) => sum + r.failed, 0)
    log(`  ${system.name} N=${n}: ${system.open} streams open (${system.failed} failed) in ${Date.now() - startedAt} ms`)
  }
  // One warm-up round each (round 0, which the clients do not record), so that the rounds run optimised code.
  for (const system of systems)
    await publishRound(system, 0)
  await sleep(1000)

  const measured = new Map(systems.map(system => [system, { publishedAt: {}, cpuMs: [], processCpuMs: system.servers.map(() => []), sentMs: [], hopMs: system.servers.map(() => []), missing: 0 }]))
  for (const system of shuffle(systems.flatMap(system => Array.from({ length: rounds }, () => system)))) {
    await sleep(200 + Math.random() * 300)
    const round = ++system.round
    const m = measured.get(system)
    const { publishedAt, deliveries } = await publishRound(system, round)
    m.publishedAt[round] = publishedAt
    if (deliveries.every(Boolean)) {
      m.cpuMs.push(deliveries.reduce((sum, d) => sum + d.cpuMs, 0))
      deliveries.forEach((d, i) => {
        m.processCpuMs[i].push(d.cpuMs)
        m.hopMs[i].push(d.entryAt - publishedAt)
      })
      m.sentMs.push(Math.max(...deliveries.map(d => d.flushedAt)) - publishedAt)
    }
    else {
      m.missing++
    }
    const received = async () => (await Promise.all(system.clients.map(c => c.ask({ cmd: 'received', round })))).reduce((sum, r) => sum + r.received, 0)
    await waitUntil(async () => (await received()) >= system.open, 15_000, `round ${round} to reach every client`).catch(() => {})
  }

  const results = []
  for (const system of systems) {
    const m = measured.get(system)
    const { latencies, lost } = await receiptLatencies(system.clients, m.publishedAt)
    const median = values => summarize(values).median
    results.push({
      system: system.name,
      label: system.label,
      processes: system.processes,
      n,
      open: system.open,
      failed: system.failed,
      rounds,
      received: latencies.length,
      lost,
      ...summarize(latencies),
      /** Median over rounds of the CPU of all server processes together, ms per event. */
      cpuMs: median(m.cpuMs),
      cpuMsQuartiles: [0.25, 0.75].map(q => quantile([...m.cpuMs].sort((a, b) => a - b), q)),
      processCpuMs: m.processCpuMs.map(median),
      sentMs: median(m.sentMs),
      /** Publish -> the entry reaching each server process (the bus's hop), ms. */
      hopMs: m.hopMs.map(median),
      undelivered: m.missing,
    })
    await Promise.all(system.clients.map(c => c.close().catch(() => {})))
    system.clients = []
  }
  return results
}

/** The bus section: the bus alone, then fan-out at each N, for the three systems in one run. */
export async function measureBus({ sizes = [1000, 10_000], rounds = 20, events = 8000, blocks = 16, log = console.log } = {}) {
  const { startRedis } = await importTestModule('test/utils/redis.ts')
  const { APPEND } = await importTestModule('packages/redis/src/scripts.ts')
  const systems = BUS_SYSTEMS.map(system => ({ ...system, redis: undefined, servers: [], ready: [], clients: [], round: 0, open: 0, failed: 0 }))
  let redisVersion = '-'
  const startedAt = Date.now()
  try {
    for (const [i, system] of systems.entries()) {
      if (BUS_SYSTEMS[i].redis) {
        const redis = await startRedis()
        const info = await redis.command('INFO', 'server')
        system.redis = { ...redis, pid: Number(/process_id:(\d+)/.exec(info)?.[1]) }
        redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? '-'
      }
      system.servers = Array.from({ length: system.processes }, () => child(SERVER, ['live-assets', HEARTBEAT_MS, ...system.redis ? ['--redis', system.redis.url] : []]))
    }
    for (const system of systems)
      system.ready = await Promise.all(system.servers.map(server => server.ready))

    const bursts = await measureBursts(systems, { events, blocks, log })
    const results = []
    for (const n of sizes) {
      log(`bus: fan-out, N = ${n}`)
      results.push(...await measureRounds(systems, n, { rounds, log }))
    }
    const sample = { id: 'mbx8k2f3a1b2c3-1234', event: 'reloadCSS', data: JSON.stringify({ files: ['/round-12.css'] }) }
    return { redisVersion, sizes, rounds, clientProcesses: CLIENT_PROCESSES, heartbeatMs: HEARTBEAT_MS, clkTck: CLK_TCK, eventBytes: Buffer.byteLength(encodeMessage(sample)), scriptBytes: Buffer.byteLength(APPEND), bursts, results, durationMs: Date.now() - startedAt }
  }
  finally {
    for (const system of systems) {
      await Promise.all(system.clients.map(c => c.close().catch(() => {})))
      await Promise.all(system.servers.map(server => server.close().catch(() => {})))
      await system.redis?.close()
    }
  }
}
