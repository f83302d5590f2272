import type { AddressInfo } from 'node:net'
import type { LiveServer } from '../src'
import { mkdir, mkdtemp, realpath, writeFile } from 'node:fs/promises'
import { createServer, ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { createHandler, silentLogger } from '../src'
import { fetchRaw, openStream, useLiveServers, waitFor, writeExisting } from './helpers'

const start = useLiveServers()

const events = (s: LiveServer) => `${s.url}/__live_assets/events`

describe('the event stream', () => {
  it('answers with SSE headers, retry first, then hello', async () => {
    const server = await start({ retryMs: 1500, heartbeatMs: 4000 })
    const stream = await openStream(events(server))
    expect(stream.res.statusCode).toBe(200)
    expect(stream.res.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(stream.res.headers['cache-control']).toBe('no-cache, no-transform')
    expect(stream.res.headers['x-accel-buffering']).toBe('no')
    expect(stream.res.headers['content-length']).toBeUndefined()
    await waitFor(() => stream.events.length === 1, 2000, 'hello')
    expect(stream.raw.startsWith('retry: 1500\n\n')).toBe(true)
    const { epoch } = server.handler.broadcaster
    expect(stream.events[0]).toMatchObject({ event: 'hello', id: `${epoch}-0` })
    expect(JSON.parse(stream.events[0].data)).toMatchObject({ epoch, heartbeatMs: 4000, version: expect.stringMatching(/^\d+\.\d+\.\d+/) })
    stream.close()
  })

  it('delivers published events in order with <epoch>-<seq> ids', async () => {
    const server = await start()
    const stream = await openStream(events(server))
    await waitFor(() => stream.events.length === 1)
    for (let i = 1; i <= 5; i++)
      server.publish('reloadCSS', { files: [`/a${i}.css`] })
    await waitFor(() => stream.events.length === 6)
    const { epoch } = server.handler.broadcaster
    expect(stream.events.slice(1).map(e => [e.id, e.event, JSON.parse(e.data).files[0]])).toEqual(
      [1, 2, 3, 4, 5].map(i => [`${epoch}-${i}`, 'reloadCSS', `/a${i}.css`]),
    )
    stream.close()
  })

  it('sends a named ping without id every heartbeat', async () => {
    const server = await start({ heartbeatMs: 40 })
    const stream = await openStream(events(server))
    await waitFor(() => stream.events.filter(e => e.event === 'ping').length >= 2, 2000, 'two pings')
    const ping = stream.events.find(e => e.event === 'ping')!
    expect(ping.id).toBeUndefined()
    expect(JSON.parse(ping.data).time).toBeTypeOf('number')
    stream.close()
  })

  it('writes a heartbeat as one chunk on a plain HTTP/1.1 stream\'s socket, through `write` where a middleware wraps it, and unframed over HTTP/1.0', async () => {
    const handler = createHandler({ logger: silentLogger, heartbeatMs: 30 })
    const responses = new Map<string, ServerResponse>()
    let wrapped = 0
    const server = createServer((req, res) => {
      const kind = new URL(req.url!, 'http://x').searchParams.get('kind')!
      responses.set(kind, res)
      // What compression middleware does: its own `write`, which must see every ping.
      if (kind === 'wrapped') {
        const write = res.write
        res.write = function (this: ServerResponse, ...args: Parameters<typeof write>) {
          wrapped++
          return write.apply(this, args)
        } as typeof write
      }
      void handler(req, res, () => res.writeHead(404).end())
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const url = `http://127.0.0.1:${port}/__live_assets/events`
    const writes = vi.spyOn(ServerResponse.prototype, 'write')
    const plain = await openStream(`${url}?kind=plain`)
    const viaWrite = await openStream(`${url}?kind=wrapped`)
    const old = connect(port, '127.0.0.1')
    let oldRaw = ''
    old.setEncoding('latin1').on('data', (text: string) => void (oldRaw += text))
    old.write(`GET /__live_assets/events?kind=old HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\n\r\n`)
    const pings = (stream: typeof plain): number => stream.events.filter(e => e.event === 'ping').length
    await waitFor(() => pings(plain) >= 3 && pings(viaWrite) >= 3 && (oldRaw.match(/^event: ping$/gm)?.length ?? 0) >= 3, 3000, 'three pings on each stream')
    // Each ping went to the plain stream's socket, framed well enough for node's strict parser; an event after them
    // still comes through `write`, in order.
    handler.publish('reloadCSS', { files: ['/after.css'] })
    await waitFor(() => plain.events.some(e => e.event === 'reloadCSS'), 2000, 'the event after the pings')
    expect(JSON.parse(plain.events.find(e => e.event === 'ping')!.data).time).toBeTypeOf('number')
    const writers = (ping: boolean): unknown[] => writes.mock.contexts.filter((_, i) => String(writes.mock.calls[i][0]).includes('event: ping') === ping)
    expect(writers(true)).not.toContain(responses.get('plain'))
    expect(writers(false)).toContain(responses.get('plain'))
    // The HTTP/1.0 stream has no chunks: `write` sends its pings as they are.
    expect(writers(true)).toContain(responses.get('old'))
    expect(oldRaw.split('\r\n\r\n')[1]).toMatch(/^retry: \d+\n\nid: [^\n]+\nevent: hello\n[\s\S]*\nevent: ping\ndata: \{"time":\d+\}\n\n/)
    expect(wrapped).toBeGreaterThanOrEqual(pings(viaWrite))
    writes.mockRestore()
    plain.close()
    viaWrite.close()
    old.destroy()
    await handler.close()
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  })

  it('gives every start a new epoch', async () => {
    const [a, b] = [await start(), await start()]
    expect(a.handler.broadcaster.epoch).not.toBe(b.handler.broadcaster.epoch)
  })
})

describe('replay', () => {
  async function missThree(server: LiveServer): Promise<string> {
    const stream = await openStream(events(server))
    server.publish('reloadCSS', { files: ['/1.css'] })
    server.publish('reloadCSS', { files: ['/2.css'] })
    await waitFor(() => stream.events.length === 3)
    stream.close()
    await waitFor(() => server.handler.broadcaster.stats().subscribers === 0)
    for (const n of [3, 4, 5])
      server.publish('reloadCSS', { files: [`/${n}.css`] })
    return stream.events[2].id!
  }

  it('replays exactly what was missed, in order, from the Last-Event-ID header', async () => {
    const server = await start()
    const last = await missThree(server)
    const again = await openStream(events(server), { 'Last-Event-ID': last })
    await waitFor(() => again.events.length === 4)
    expect(again.events[0]).toMatchObject({ event: 'hello', id: last })
    expect(again.events.slice(1).map(e => JSON.parse(e.data).files[0])).toEqual(['/3.css', '/4.css', '/5.css'])
    server.publish('reloadCSS', { files: ['/6.css'] })
    await waitFor(() => again.events.length === 5)
    expect(again.events.filter(e => e.event === 'reloadCSS')).toHaveLength(4)
    again.close()
  })

  it('replays from the ?lastEventId= query for recreated EventSources', async () => {
    const server = await start()
    const last = await missThree(server)
    const again = await openStream(`${events(server)}?lastEventId=${last}`)
    await waitFor(() => again.events.length === 4)
    expect(again.events.slice(1).map(e => JSON.parse(e.data).files[0])).toEqual(['/3.css', '/4.css', '/5.css'])
    again.close()
  })

  it('answers an up-to-date id with hello only', async () => {
    const server = await start()
    server.publish('reloadCSS', { files: ['/1.css'] })
    const stream = await openStream(events(server), { 'Last-Event-ID': `${server.handler.broadcaster.epoch}-1` })
    server.publish('reloadCSS', { files: ['/2.css'] })
    await waitFor(() => stream.events.length === 2)
    expect(stream.events.map(e => e.event)).toEqual(['hello', 'reloadCSS'])
    expect(JSON.parse(stream.events[1].data).files).toEqual(['/2.css'])
    stream.close()
  })

  it.each([
    ['another epoch', () => 'zzzz-1'],
    ['an id from the future', (s: LiveServer) => `${s.handler.broadcaster.epoch}-99`],
    ['an expired id', (s: LiveServer) => `${s.handler.broadcaster.epoch}-1`],
    ['a malformed id', () => '<script>'],
    ['a huge id', () => 'x'.repeat(6000)],
  ])('answers %s with one full stylesheet refresh and never echoes it', async (_, id) => {
    const server = await start({ replay: 3 })
    for (let i = 0; i < 10; i++)
      server.publish('reloadCSS', { files: [`/${i}.css`] })
    const bad = id(server)
    const stream = await openStream(events(server), { 'Last-Event-ID': bad })
    await waitFor(() => stream.events.length === 2)
    expect(stream.events.map(e => e.event)).toEqual(['hello', 'reloadCSS'])
    expect(JSON.parse(stream.events[1].data)).toEqual({ files: [] })
    expect(stream.events[1].id).toBe(`${server.handler.broadcaster.epoch}-10`)
    expect(stream.raw.split('\n').filter(line => line === `id: ${bad}` || (bad.length > 20 && line.includes(bad)))).toEqual([])
    stream.close()
  })

  it('shows a pending build error to pages that open later, until it is cleared', async () => {
    const server = await start()
    server.publish('error', { message: 'Unexpected }', file: 'a.css', line: 3, column: 1 })
    const late = await openStream(events(server))
    await waitFor(() => late.events.length === 2)
    expect(late.events[1].event).toBe('error')
    server.publish('clearError', {})
    const later = await openStream(events(server))
    server.publish('reloadCSS', { files: ['/a.css'] })
    await waitFor(() => later.events.length === 2)
    expect(later.events.map(e => e.event)).toEqual(['hello', 'reloadCSS'])
    late.close()
    later.close()
  })
})

describe('subscribers', () => {
  it('removes a subscriber as soon as its connection closes', async () => {
    const server = await start()
    const streams = await Promise.all(Array.from({ length: 20 }, () => openStream(events(server))))
    await waitFor(() => server.handler.broadcaster.stats().subscribers === 20)
    streams.slice(0, 10).forEach(s => s.close())
    await waitFor(() => server.handler.broadcaster.stats().subscribers === 10, 1000)
    expect(server.handler.broadcaster.stats().peakSubscribers).toBe(20)
    streams.slice(10).forEach(s => s.close())
  })

  it('drops a client that stops reading, while a healthy one gets every event', async () => {
    const server = await start({ maxBufferedBytes: 256 * 1024 })
    const stalled = connect(server.port, '127.0.0.1')
    stalled.write(`GET /__live_assets/events HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`)
    // Never read: the kernel buffers fill, then Node's.
    stalled.pause()
    const healthy = await openStream(events(server))
    await waitFor(() => server.handler.broadcaster.stats().subscribers === 2)
    const big = 'x'.repeat(64 * 1024)
    let sent = 0
    while (server.handler.broadcaster.stats().dropped.backpressure === 0 && sent < 2000) {
      server.publish('big', { big, n: sent++ })
      await new Promise(resolve => setImmediate(resolve))
    }
    expect(server.handler.broadcaster.stats().dropped.backpressure).toBe(1)
    await waitFor(() => healthy.events.length === sent + 1, 10_000, 'every event at the healthy client')
    expect(healthy.events.slice(1).map(e => JSON.parse(e.data).n)).toEqual(Array.from({ length: sent }, (_, i) => i))
    expect(server.handler.broadcaster.stats().subscribers).toBe(1)
    healthy.close()
    stalled.destroy()
  })

  it('refuses streams beyond maxSubscribers with 503 and Retry-After', async () => {
    const server = await start({ maxSubscribers: 1 })
    const first = await openStream(events(server))
    const second = await fetchRaw(events(server))
    expect(second.status).toBe(503)
    expect(second.headers['retry-after']).toBe('5')
    expect(second.body).toMatch(/^\[live-assets\] too many streams/)
    expect(server.handler.broadcaster.stats()).toMatchObject({ subscribers: 1, dropped: { full: 1 } })
    first.close()
  })
})

describe('close', () => {
  it('ends 300 open streams in under a second and frees the port at once', async () => {
    const server = await start()
    const streams = await Promise.all(Array.from({ length: 300 }, () => openStream(events(server))))
    await waitFor(() => server.handler.broadcaster.stats().subscribers === 300)
    const ended = streams.map(s => new Promise(resolve => s.res.on('close', resolve)))
    const t0 = performance.now()
    await server.close()
    await Promise.all(ended)
    const ms = performance.now() - t0
    console.info(`[live-assets] close() with 300 open streams: ${ms.toFixed(1)} ms`)
    expect(ms).toBeLessThan(1000)
    await server.close()
    const again = await start({ port: server.port })
    expect(again.port).toBe(server.port)
  })
})

describe('ports', () => {
  it('gives a clear error for a taken port, or moves on when allowed', async () => {
    const first = await start()
    await expect(start({ port: first.port })).rejects.toThrow(/^\[live-assets\] port \d+ on 127\.0\.0\.1 is already in use/)
    const warnings: string[] = []
    const moved = await start({ port: first.port, strictPort: false, logger: { ...silentLogger, warn: m => warnings.push(m) } })
    expect(moved.port).toBeGreaterThan(first.port)
    expect(warnings[0]).toMatch(/in use; listening on/)
  })

  it('listens on loopback by default, and prints its URL', async () => {
    const lines: string[] = []
    const server = await start({ logger: { ...silentLogger, info: m => lines.push(m) } })
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(lines).toContain(`listening at ${server.url}; pages load ${server.url}/__live_assets/client.js`)
  })
})

describe('watching', () => {
  it('publishes changed stylesheets as URL paths, reloads for `reload` globs, and stays quiet for unchanged saves', async () => {
    const dir = await realpath(await mkdtemp(join(tmpdir(), 'live-assets-server-')))
    await mkdir(join(dir, 'assets/css'), { recursive: true })
    await writeExisting(join(dir, 'assets/css/app.css'), 'body { color: red }')
    await writeExisting(join(dir, 'assets/css/other.css'), 'p { color: red }')
    await writeExisting(join(dir, 'index.html'), '<p>1</p>')
    const server = await start({ watch: { cwd: dir, paths: ['assets/**/*.css'], root: join(dir, 'assets'), urlBase: '/static', reload: ['*.html'] } })
    const stream = await openStream(events(server))
    await waitFor(() => stream.events.length === 1)

    await writeFile(join(dir, 'assets/css/app.css'), 'body { color: blue }')
    await waitFor(() => stream.events.length === 2, 5000, 'reloadCSS')
    expect(stream.events[1]).toMatchObject({ event: 'reloadCSS', data: '{"files":["/static/css/app.css"]}' })

    await writeFile(join(dir, 'assets/css/app.css'), 'body { color: blue }')
    await writeFile(join(dir, 'index.html'), '<p>2</p>')
    await waitFor(() => stream.events.length === 3, 5000, 'reload')
    expect(stream.events[2]).toMatchObject({ event: 'reload' })
    await writeFile(join(dir, 'assets/css/other.css'), 'p { color: blue }')
    await waitFor(() => stream.events.length === 4, 5000, 'second reloadCSS')
    expect(JSON.parse(stream.events[3].data)).toEqual({ files: ['/static/css/other.css'] })
    stream.close()
  })
})

describe('watching images and source maps', () => {
  it('publishes changed images as reloadAssets, never a reload; a source map alone publishes nothing', async () => {
    const dir = await realpath(await mkdtemp(join(tmpdir(), 'live-assets-server-')))
    await mkdir(join(dir, 'public/img'), { recursive: true })
    const put = (file: string, content: string): Promise<void> => writeFile(join(dir, 'public', file), content)
    const existing = { 'app.css': 'body { color: red }', 'app.css.map': '{"version":3,"mappings":""}', 'img/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>', 'img/photo.PNG': 'png 1', 'notes.txt': 'a' }
    for (const [file, content] of Object.entries(existing))
      await writeExisting(join(dir, 'public', file), content)
    // A `reload` glob that covers everything: stylesheets, images and source maps still never reload the page.
    const server = await start({ watch: { cwd: dir, paths: ['public'], urlBase: '/static', reload: ['public/**'] } })
    const stream = await openStream(events(server))
    await waitFor(() => stream.events.length === 1)
    const published = (): { event: string, data: unknown }[] => stream.events.slice(1).map(e => ({ event: e.event!, data: JSON.parse(e.data) }))

    await put('img/logo.svg', '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>')
    await put('img/photo.PNG', 'png 2')
    await waitFor(() => published().flatMap(e => (e.data as { files: string[] }).files).length === 2, 5000, 'reloadAssets')
    expect(published().every(e => e.event === 'reloadAssets')).toBe(true)
    expect(published().flatMap(e => (e.data as { files: string[] }).files).sort()).toEqual(['/static/img/logo.svg', '/static/img/photo.PNG'])

    // The map alone: nothing, as the next change (a reload) shows by arriving alone.
    stream.events.splice(1)
    await put('app.css.map', '{"version":3,"mappings":"A"}')
    await put('notes.txt', 'b')
    await waitFor(() => published().length === 1, 5000, 'reload')
    expect(published()).toEqual([{ event: 'reload', data: { reason: 'notes.txt changed' } }])

    // A stylesheet and its map: one reloadCSS, for the stylesheet.
    stream.events.splice(1)
    await put('app.css', 'body { color: blue }')
    await put('app.css.map', '{"version":3,"mappings":"B"}')
    await waitFor(() => published().length === 1, 5000, 'reloadCSS')
    await put('notes.txt', 'c')
    await waitFor(() => published().length === 2, 5000, 'reload')
    expect(published()).toEqual([
      { event: 'reloadCSS', data: { files: ['/static/app.css'] } },
      { event: 'reload', data: { reason: 'notes.txt changed' } },
    ])
    stream.close()
  })
})
