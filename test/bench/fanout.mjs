// @ts-check
/**
 * Fan-out: one server process, N raw SSE clients on loopback spread over a few client processes. Per N and system:
 * publish -> receive latency over several rounds, RSS per connection (after gc, delta over the N connections), CPU of
 * the server while idle with heartbeats on, and events lost.
 */
import { spawn } from 'node:child_process'
import os from 'node:os'
import process from 'node:process'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { DEFAULT_HEARTBEAT_MS } from '@live-assets/core'
import { summarize } from './stats.mjs'

export const SERVER = fileURLToPath(new URL('./fanout-server.mjs', import.meta.url))
export const CLIENTS = fileURLToPath(new URL('./fanout-clients.mjs', import.meta.url))
/** Open files each process may have: 10,000 streams need that many sockets on both ends. */
export const FD_LIMIT = 20_000
/** Each system's default time between two heartbeats: the idle window holds a whole period of it. */
export const HEARTBEAT_MS = { 'live-assets': DEFAULT_HEARTBEAT_MS, 'webpack-hot-middleware': 10_000 }
/** One client process per core: more would only take turns on the same cores. */
export const CLIENT_PROCESSES = os.availableParallelism()

/** A node process with IPC, started through `sh` so that `ulimit -n` applies to it. */
export function child(script, args, nodeArgs = []) {
  const quoted = [process.execPath, ...nodeArgs, script, ...args].map(a => `'${String(a).replace(/'/g, `'\\''`)}'`).join(' ')
  const proc = spawn('sh', ['-c', `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n $(ulimit -Hn); exec ${quoted}`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let nextId = 0
  const pending = new Map()
  let onReady
  const ready = new Promise((resolve, reject) => {
    onReady = resolve
    proc.once('exit', code => reject(new Error(`${script} exited with ${code} before it was ready`)))
  })
  proc.on('message', (message) => {
    if (message.ready)
      onReady(message)
    else
      pending.get(message.id)?.(message)
  })
  return {
    ready,
    ask(message) {
      const id = ++nextId
      return new Promise((resolve) => {
        pending.set(id, resolve)
        proc.send({ ...message, id })
      })
    },
    async close() {
      const exited = new Promise(resolve => proc.once('exit', resolve))
      proc.send({ cmd: 'close', id: 0 })
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}

export async function waitUntil(check, timeout, what) {
  const deadline = Date.now() + timeout
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
    await sleep(50)
  }
}

/**
 * Publish -> receive of every stream for every round in `publishedAt` (round -> publish time), and how many streams
 * times rounds received nothing.
 */
export async function receiptLatencies(clients, publishedAt) {
  const latencies = []
  let lost = 0
  for (const { receipts, count } of await Promise.all(clients.map(c => c.ask({ cmd: 'receipts' })))) {
    for (const [round, at] of Object.entries(publishedAt)) {
      for (const t of receipts[round] ?? Array.from({ length: count }, () => 0)) {
        if (t)
          latencies.push(t - at)
        else
          lost++
      }
    }
  }
  return { latencies, lost }
}

/** One system at one N. */
async function measure(system, n, { rounds, processes, idleMs, heartbeatMs = HEARTBEAT_MS[system], log }) {
  idleMs ??= heartbeatMs
  const server = child(SERVER, [system, heartbeatMs], ['--expose-gc'])
  const { port, path, memory: empty } = await server.ready
  // The baseline after a warm-up connection, so lazily loaded code is not counted per connection.
  const warm = child(CLIENTS, [`http://127.0.0.1:${port}${path}`, 1])
  await warm.ready
  await warm.close()
  await sleep(200)
  const baseline = (await server.ask({ cmd: 'memory' })).memory
  const clients = []
  const per = Math.ceil(n / processes)
  const connectStarted = Date.now()
  try {
    for (let left = n; left > 0; left -= per)
      clients.push(child(CLIENTS, [`http://127.0.0.1:${port}${path}`, Math.min(per, left)]))
    const readies = await Promise.all(clients.map(c => c.ready))
    const open = readies.reduce((sum, r) => sum + r.open, 0)
    const failed = readies.reduce((sum, r) => sum + r.failed, 0)
    log(`  ${system} N=${n}: ${open} streams open (${failed} failed) in ${Date.now() - connectStarted} ms`)
    await sleep(500)
    const loaded = await server.ask({ cmd: 'memory' })

    // One warm-up round (round 0, which the clients do not record), so that the rounds run optimised code.
    await server.ask({ cmd: 'publish', round: 0 })
    await sleep(1000)
    const publishedAt = {}
    const publishCost = []
    const flushCost = []
    const cpuCost = []
    for (let round = 1; round <= rounds; round++) {
      await sleep(200 + Math.random() * 300)
      const reply = await server.ask({ cmd: 'publish', round })
      publishedAt[round] = reply.publishedAt
      publishCost.push(reply.returnedAt - reply.publishedAt)
      flushCost.push(reply.flushedAt - reply.publishedAt)
      cpuCost.push(reply.cpuMs)
      const received = async () => (await Promise.all(clients.map(c => c.ask({ cmd: 'received', round })))).reduce((sum, r) => sum + r.received, 0)
      await waitUntil(async () => (await received()) >= open, 15_000, `round ${round} to reach every client`).catch(() => {})
    }
    const { latencies, lost } = await receiptLatencies(clients, publishedAt)
    const idle = await server.ask({ cmd: 'idle-cpu', ms: idleMs })
    const after = await server.ask({ cmd: 'memory' })
    const summary = summarize(latencies)
    return {
      system,
      n,
      open,
      failed,
      rounds,
      received: latencies.length,
      lost,
      ...summary,
      publishMs: summarize(publishCost).median,
      flushMs: summarize(flushCost).median,
      publishCpuMs: summarize(cpuCost).median,
      rssPerConnection: (loaded.memory.rss - baseline.rss) / open,
      heapPerConnection: (loaded.memory.heapUsed - baseline.heapUsed) / open,
      memory: { empty, baseline, loaded: loaded.memory, afterRounds: after.memory },
      idleCpuPercent: idle.cpuMs / idle.wallMs * 100,
      idleMs: idle.wallMs,
      idleRestMs: idle.restMs,
      idleMajorGcs: idle.majorGcs,
      heartbeatMs,
    }
  }
  finally {
    await Promise.all(clients.map(c => c.close().catch(() => {})))
    await server.close().catch(() => {})
  }
}

/**
 * `heartbeatMs` defaults to each system's own default, and `idleMs` to one whole heartbeat period: a window of any
 * other length would count a fraction of a heartbeat as a whole one, or none.
 */
export async function measureFanout({ sizes = [100, 1000, 10_000], systems = ['live-assets', 'webpack-hot-middleware'], rounds = 10, processes = CLIENT_PROCESSES, idleMs = undefined, heartbeatMs = undefined, log = console.log } = {}) {
  const results = []
  for (const n of sizes) {
    for (const system of systems) {
      log(`fan-out: ${system}, N = ${n}`)
      results.push(await measure(system, n, { rounds, processes, idleMs, heartbeatMs, log }))
    }
  }
  return results
}
