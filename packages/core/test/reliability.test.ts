import type { AddressInfo } from 'node:net'
import type { LiveServer } from '../src'
import { Buffer } from 'node:buffer'
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { connect } from 'node:net'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { createHandler, createLiveServer, silentLogger } from '../src'
import { fetchRaw, openStream, waitFor } from './helpers'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const servers: LiveServer[] = []
async function start(options: Parameters<typeof createLiveServer>[0] = {}): Promise<LiveServer> {
  const server = await createLiveServer({ port: 0, logger: silentLogger, ...options })
  servers.push(server)
  return server
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map(s => s.close()))
})
const eventsUrl = (s: LiveServer) => `${s.url}/__live_assets/events`

function random(seed: number): () => number {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0
    return seed / 2 ** 32
  }
}

const NASTY = ['\n', '\r', '\r\n', '\0', '\u2028', '\u2029', '😀', '\uD800', '\uDFFF', '"', '\\', ':', 'data: x', 'id: 7', '\uFEFF']

describe('wire', () => {
  it('10,000 hostile file names give exactly one well-formed event each', async () => {
    const server = await start()
    const stream = await openStream(eventsUrl(server))
    await waitFor(() => stream.events.length === 1)
    const next = random(7)
    const names: string[] = []
    for (let i = 0; i < 10_000; i++) {
      let name = '/'
      for (let j = 0; j < 12; j++)
        name += next() < 0.4 ? NASTY[Math.floor(next() * NASTY.length)] : String.fromCharCode(33 + Math.floor(next() * 90))
      // Invalid UTF-8 from disk arrives as U+FFFD once decoded.
      if (i % 10 === 0)
        name += Buffer.from([0xFF, 0xFE, 0xC3]).toString('utf8')
      names.push(name)
      server.publish('reloadCSS', { files: [name] })
      // Let the client read now and then: 10,000 events written in one go would pass maxBufferedBytes.
      if (i % 500 === 0)
        await new Promise(resolve => setImmediate(resolve))
    }
    await waitFor(() => stream.events.length === 10_001, 20_000, '10,000 events')
    const bad = stream.raw.split('\n').filter(line => !/^(?:data: [^\r]*|event: \w+|id: [\w-]+|retry: \d+|:[^\r]*)?$/.test(line))
    expect(bad).toEqual([])
    const received = stream.events.slice(1).map(e => JSON.parse(e.data).files[0])
    // Lone surrogates are escaped by JSON.stringify and come back as the same code units.
    expect(received).toEqual(names)
    stream.close()
  }, 60_000)
})

describe('connections', () => {
  it('removes 50 of 100 clients that abort mid-stream at once', async () => {
    const server = await start()
    const streams = await Promise.all(Array.from({ length: 100 }, () => openStream(eventsUrl(server))))
    await waitFor(() => server.handler.broadcaster.stats().subscribers === 100)
    server.publish('reloadCSS', { files: ['/a.css'] })
    streams.slice(0, 50).forEach(s => s.res.destroy())
    const t0 = performance.now()
    await waitFor(() => server.handler.broadcaster.stats().subscribers === 50, 1000)
    console.info(`[reliability] 50 aborted streams removed in ${(performance.now() - t0).toFixed(1)} ms`)
    streams.slice(50).forEach(s => s.close())
  })

  it('5,000 connect/receive/disconnect cycles leave nothing behind', async () => {
    const server = await start()
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(w.message)
    process.on('warning', onWarning)
    const handlesBefore = process.getActiveResourcesInfo().length
    gc()
    const heapBefore = process.memoryUsage().heapUsed
    for (let round = 0; round < 50; round++) {
      const streams = await Promise.all(Array.from({ length: 100 }, () => openStream(eventsUrl(server))))
      await waitFor(() => streams.every(s => s.events.length >= 1), 5000)
      server.publish('reloadCSS', { files: [`/${round}.css`] })
      await waitFor(() => streams.every(s => s.events.length === 2), 5000)
      streams.forEach(s => s.close())
      await waitFor(() => server.handler.broadcaster.stats().subscribers === 0, 5000)
    }
    await waitFor(() => process.getActiveResourcesInfo().length <= handlesBefore, 5000, 'handles to close')
    gc()
    const residual = process.memoryUsage().heapUsed - heapBefore
    console.info(`[reliability] 5,000 cycles: residual heap ${(residual / 1024).toFixed(0)} KiB, active handles ${process.getActiveResourcesInfo().length - handlesBefore} extra`)
    process.off('warning', onWarning)
    expect(server.handler.broadcaster.stats()).toMatchObject({ subscribers: 0, peakSubscribers: 100 })
    expect(residual).toBeLessThan(1024 * 1024)
    expect(warnings).toEqual([])
  }, 120_000)

  it('evicts a client that stops reading; RSS stays flat and 200 healthy clients get every event once, in order', async () => {
    const server = await start({ maxBufferedBytes: 512 * 1024 })
    const stalled = connect(server.port, '127.0.0.1')
    stalled.write(`GET /__live_assets/events HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`)
    stalled.pause()
    const count = 300
    // The healthy clients live in another process: their received bytes must not count as the server's memory.
    const clients = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/sse-clients.mjs', import.meta.url)), eventsUrl(server), '200', String(count)])
    const lines: string[] = []
    clients.stdout.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.trim().split('\n')))
    await waitFor(() => lines.length > 0 && server.handler.broadcaster.stats().subscribers === 201, 20_000, '201 streams')
    gc()
    const rssBefore = process.memoryUsage().rss
    const big = 'x'.repeat(16 * 1024)
    for (let n = 0; n < count; n++) {
      server.publish('big', { big, n })
      await new Promise(resolve => setImmediate(resolve))
    }
    await waitFor(() => lines.length === 2, 60_000, 'every event at every healthy client')
    gc()
    const growth = process.memoryUsage().rss - rssBefore
    console.info(`[reliability] slow reader evicted; server RSS grew ${(growth / 1024 / 1024).toFixed(1)} MB while 200 clients took ${count} x 16 KiB`)
    expect(JSON.parse(lines[1])).toEqual({ done: true, inOrder: true, counts: [count] })
    expect(server.handler.broadcaster.stats().dropped.backpressure).toBe(1)
    expect(growth).toBeLessThan(10 * 1024 * 1024)
    stalled.destroy()
  }, 90_000)

  it('node\'s request, headers, keep-alive and socket timeouts never cut a stream', async () => {
    const handler = createHandler({ logger: silentLogger, heartbeatMs: 100 })
    const server = createServer({ requestTimeout: 300, headersTimeout: 200, keepAliveTimeout: 100 }, (req, res) => handler(req, res))
    server.timeout = 150
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/__live_assets/events`
    const stream = await openStream(url)
    let closed = false
    stream.res.on('close', () => {
      closed = true
    })
    await waitFor(() => stream.events.filter(e => e.event === 'ping').length >= 15, 5000, '1.5 s of pings')
    expect(closed).toBe(false)
    handler.publish('reloadCSS', { files: ['/late.css'] })
    await waitFor(() => stream.events.some(e => e.data.includes('late.css')))
    stream.close()
    handler.close()
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  })

  it('close() with 500 open streams takes under a second and the port is reusable at once', async () => {
    const server = await start()
    const streams = await Promise.all(Array.from({ length: 500 }, () => openStream(eventsUrl(server))))
    await waitFor(() => server.handler.broadcaster.stats().subscribers === 500)
    const t0 = performance.now()
    await server.close()
    const ms = performance.now() - t0
    console.info(`[reliability] close() with 500 streams: ${ms.toFixed(1)} ms`)
    expect(ms).toBeLessThan(1000)
    await waitFor(() => streams.every(s => s.res.closed), 1000, 'every client to see its stream end')
    const again = await start({ port: server.port })
    expect((await fetchRaw(`${again.url}/__live_assets/stats`)).status).toBe(200)
  })
})
