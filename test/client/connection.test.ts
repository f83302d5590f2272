import type { ServerResponse } from 'node:http'
import type { LivePage } from '../utils/live-page'
import type { OpenOptions, Site } from '../utils/site'
import { describe, expect, it } from 'vitest'
import { useSites } from '../utils/site'

const EVENTS_PATH = '/__live_assets/events'
const sites = useSites('connection')
let site: Site
let live: LivePage

async function open(path = '/index.html', options?: OpenOptions): Promise<LivePage> {
  ({ site, live } = await sites.open(path, options))
  return live
}

describe('the connection', () => {
  it('works for a page on another origin than the live server', async () => {
    await open('/index.html', { mode: 'cross-origin' })
    expect(site.page.liveOrigin).not.toBe(site.page.url)
    // The client came from the live server, not from the page server.
    expect(site.page.count('/__live_assets/client.js')).toBe(0)
    await site.write('css/other.css', '#o { color: rgb(0, 0, 77); }')
    site.publish('reloadCSS', { files: ['/css/other.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(await live.style('#o', 'color')).toBe('rgb(0, 0, 77)')
    expect(site.handler.broadcaster.stats().subscribers).toBe(1)
  })

  it('reconnects after the server was down for a few seconds; a new epoch refreshes every sheet once', async () => {
    await open('/index.html', { mode: 'cross-origin' })
    const failures: string[] = []
    live.page.on('requestfailed', (request) => {
      if (request.url().includes(EVENTS_PATH))
        failures.push(request.url())
    })
    const epoch = site.handler.broadcaster.epoch
    await site.stopLive()
    await live.waitForEvents('disconnect', 1)
    // Down long enough for the backoff to take several failed attempts (about 0.25 + 0.5 + 1 s).
    await expect.poll(() => failures.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3)
    await site.startLive()
    expect(site.handler.broadcaster.epoch).not.toBe(epoch)
    await live.waitForEvents('connect', 2, 20_000)
    await live.waitForEvents('after-swap', 1)
    // The server also answers the old-epoch id with "refresh everything": still only one refresh.
    site.publish('reloadCSS', { files: ['/css/other.css'] })
    await live.waitForEvents('after-swap', 2)
    expect([site.refetches('/css/base.css'), site.refetches('/css/theme.css'), site.refetches('/css/other.css')]).toEqual([1, 1, 2])
    expect((await live.events('after-swap'))[0].files).toHaveLength(3)
    expect(site.page.count('/index.html')).toBe(1)
    expect(await live.sentinel()).toBe(live.firstSentinel)
    // Reconnect attempts carried the last event id of the old epoch.
    expect(failures.every(url => new URL(url).searchParams.get('lastEventId')?.startsWith(`${epoch}-`))).toBe(true)
  })

  it('is back within a second of a loopback server listening again, however long it was down', async () => {
    await open('/index.html', { mode: 'cross-origin' })
    expect(new URL(site.page.liveOrigin).hostname).toBe('127.0.0.1')
    const failures: number[] = []
    live.page.on('requestfailed', (request) => {
      if (request.url().includes(EVENTS_PATH))
        failures.push(Date.now())
    })
    await site.stopLive()
    await live.waitForEvents('disconnect', 1)
    // Six failed attempts: an uncapped backoff would now wait 8 to 16 s before the next one.
    await expect.poll(() => failures.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(6)
    const gaps = failures.slice(1).map((at, i) => at - failures[i])
    expect(Math.max(...gaps)).toBeLessThan(1000)
    await site.startLive()
    const listening = Date.now()
    await expect.poll(() => site.handler.broadcaster.stats().subscribers, { timeout: 5_000, interval: 10 }).toBe(1)
    const back = Date.now() - listening
    console.info(`[live-assets] connection: back ${back} ms after the server listened again (attempts ${gaps.join(', ')} ms apart)`)
    expect(back).toBeLessThan(1000)
  })

  it('does not try to reconnect while the tab is hidden', async () => {
    await open('/index.html', {
      mode: 'cross-origin',
      // Headless tabs are always visible: let the test decide what document.hidden says.
      page: { beforeLoad: page => page.addInitScript(() => {
        const w = window as unknown as { __hidden: boolean, __streams: number }
        w.__hidden = false
        w.__streams = 0
        Object.defineProperty(Document.prototype, 'hidden', { get: () => w.__hidden })
        // A tab's stream is opened in a worker of its own (one per attempt), or by the page where that is refused.
        const [NativeSource, NativeWorker] = [EventSource, Worker]
        window.EventSource = class extends NativeSource {
          constructor(url: string | URL, init?: EventSourceInit) {
            super(url, init)
            w.__streams++
          }
        }
        window.Worker = class extends NativeWorker {
          constructor(url: string | URL, options?: WorkerOptions) {
            super(url, options)
            w.__streams++
          }
        }
      }) },
    })
    const streams = (): Promise<number> => live.page.evaluate(() => (window as unknown as { __streams: number }).__streams)
    expect(await streams()).toBe(1)
    await live.page.evaluate(() => (window as unknown as { __hidden: boolean }).__hidden = true)
    await site.stopLive()
    await live.waitForEvents('disconnect', 1)
    await site.startLive()
    // A visible tab would be back within the first backoff step (at most 0.5 s); give it four times that.
    await new Promise(resolve => setTimeout(resolve, 2000))
    expect(await streams()).toBe(1)
    expect(site.handler.broadcaster.stats().subscribers).toBe(0)
    await live.page.evaluate(() => {
      (window as unknown as { __hidden: boolean }).__hidden = false
      document.dispatchEvent(new Event('visibilitychange'))
    })
    await live.waitForEvents('connect', 2)
    expect(await streams()).toBe(2)
    await expect.poll(() => site.handler.broadcaster.stats().subscribers).toBe(1)
  })

  it('gets what it missed during a short disconnect, exactly once', async () => {
    const streams = new Set<ServerResponse>()
    const reconnects: URLSearchParams[] = []
    let hold = true
    await open('/index.html', { before: site => site.page.route((_req, res, url) => {
      if (url.pathname !== EVENTS_PATH)
        return false
      if (streams.size) {
        reconnects.push(url.searchParams)
        if (hold) {
          res.writeHead(503, { 'Content-Type': 'text/plain' }).end('hold on')
          return true
        }
      }
      streams.add(res)
      return false
    }) })
    expect(streams.size).toBe(1)

    // A short disconnect: the server loses the stream and refuses reconnects for a moment.
    for (const res of streams)
      res.destroy()
    await live.waitForEvents('disconnect', 1)
    await expect.poll(() => site.handler.broadcaster.stats().subscribers).toBe(0)
    await site.write('css/other.css', '#o { color: rgb(0, 0, 66); }')
    const missed = await site.publish('reloadCSS', { files: ['/css/other.css'] })
    await expect.poll(() => reconnects.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1)
    expect(await live.events('after-swap')).toEqual([])
    hold = false
    await live.waitForEvents('connect', 2, 20_000)
    await live.waitForEvents('after-swap', 1)
    expect(await live.style('#o', 'color')).toBe('rgb(0, 0, 66)')
    // A marker after the replay: anything replayed twice would have been swapped by now.
    site.publish('reloadCSS', { files: ['/css/base.css'] })
    await live.waitForEvents('after-swap', 2)
    expect((await live.events('after-swap')).map(d => d.files)).toEqual([[`${site.page.url}/css/other.css`], [`${site.page.url}/css/base.css`]])
    expect([site.refetches('/css/base.css'), site.refetches('/css/theme.css'), site.refetches('/css/other.css')]).toEqual([1, 0, 1])
    const [epoch, seq] = missed.split('-')
    expect(reconnects.at(-1)!.get('lastEventId')).toBe(`${epoch}-${Number(seq) - 1}`)
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })

  it('recreates a stream that stays open but silent (watchdog: 2.5 heartbeats)', async () => {
    const opened: { at: number, closedAt?: number, lastEventId: string | null }[] = []
    await open('/index.html', { live: { heartbeatMs: 200 }, before: site => site.page.route((req, res, url) => {
      if (url.pathname !== EVENTS_PATH)
        return false
      // A stream that says hello and then nothing, not even pings: a stalled proxy.
      const stream: (typeof opened)[number] = { at: Date.now(), lastEventId: url.searchParams.get('lastEventId') }
      opened.push(stream)
      req.on('close', () => stream.closedAt = Date.now())
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' })
      res.write(`retry: 60000\n\nid: silent-${opened.length}\nevent: hello\ndata: {"epoch":"silent","heartbeatMs":200,"version":"0.0.0"}\n\n`)
      return true
    }) })
    await expect.poll(() => opened.length, { timeout: 5000 }).toBeGreaterThanOrEqual(3)
    const [first, second] = opened
    // The client closed the silent stream itself, after about 2.5 x 200 ms without events.
    expect(first.closedAt).toBeDefined()
    expect(first.closedAt! - first.at).toBeGreaterThanOrEqual(450)
    expect(first.closedAt! - first.at).toBeLessThan(2000)
    expect(second.lastEventId).toBe('silent-1')
    expect(await live.events('disconnect')).not.toHaveLength(0)
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })

  it('keeps a stream with regular pings', async () => {
    let streams = 0
    let pings = 0
    // 300 ms heartbeats, a 750 ms watchdog: short enough to see many pings, long enough for a loaded CI machine.
    await open('/index.html', { live: { heartbeatMs: 300 }, before: site => site.page.route((_req, res, url) => {
      if (url.pathname === EVENTS_PATH) {
        streams++
        const write = res.write.bind(res) as (chunk: string) => boolean
        res.write = ((chunk: string) => {
          pings += String(chunk).split('event: ping').length - 1
          return write(chunk)
        }) as typeof res.write
      }
      return false
    }) })
    await expect.poll(() => pings, { timeout: 15_000 }).toBeGreaterThanOrEqual(10)
    expect(streams).toBe(1)
    expect(await live.events('disconnect')).toEqual([])
  })

  it('says in the page\'s own console, not the shared worker\'s, that the server refuses the stream', async () => {
    await open('/index.html', {
      before: site => site.page.route((_req, res, url) => url.pathname === EVENTS_PATH && Boolean(res.writeHead(403).end())),
      page: { waitForConnect: false },
    })
    const origin = site.page.url
    const said = `[live-assets] ${origin} refuses the event stream of ${origin}, so this page gets no live updates. If the terminal running live-assets says it refused ${origin}, allow it: allowedOrigins: ['${origin}'] in the plugin, --origin ${origin} for the CLI.`
    // Once, after the second refusal in a row; the text comes with the extras, from the server that refused.
    await expect.poll(() => live.console, { timeout: 10_000 }).toContain(said)
    const refused = site.page.count(EVENTS_PATH)
    await expect.poll(() => site.page.count(EVENTS_PATH), { timeout: 10_000 }).toBeGreaterThan(refused + 1)
    expect(live.console.filter(line => line === said)).toHaveLength(1)
    expect(site.page.count('/__live_assets/client-extras.js')).toBe(1)
  })

  it('logs every event and decision with debug: true', async () => {
    await open('/index.html', { live: { client: { debug: true } } })
    site.publish('reloadCSS', { files: ['/css/other.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(live.console).toEqual(expect.arrayContaining([
      `[live-assets] connecting to ${site.page.url}/__live_assets/events`,
      // From stream.ts: the debug lines of every module are in the build served for `debug: true`.
      `[live-assets] sharing one connection to ${site.page.url}/__live_assets/events through a shared worker`,
      expect.stringMatching(/^\[live-assets\] hello \{"epoch":/),
      '[live-assets] reloadCSS {"files":["/css/other.css"]}',
      '[live-assets] swapping 1 sheet(s)',
      expect.stringMatching(/^\[live-assets\] swapped other\.css in \d+ ms$/),
    ]))
  })

  it('opens one connection with one set of listeners when the script is loaded twice', async () => {
    await open('/double.html')
    // Two script tags, plus the shared worker that holds the stream.
    expect(site.page.count('/__live_assets/client.js')).toBe(3)
    site.publish('reloadCSS', { files: ['/css/base.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(site.handler.broadcaster.stats().subscribers).toBe(1)
    expect(site.page.count(EVENTS_PATH)).toBe(1)
    expect(site.refetches('/css/base.css')).toBe(1)
    expect(live.console.filter(line => line.includes('swapped'))).toHaveLength(1)
    expect(await live.events('after-swap')).toHaveLength(1)
  })
})
