import type { ServerResponse } from 'node:http'
import type { LivePage } from '../utils/live-page'
import type { Site } from '../utils/site'
import type { FreezingProxy, Hop } from './tcp-proxy'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { useSites } from '../utils/site'
import { summary } from './stream'
import { startFreezingProxy } from './tcp-proxy'

const EVENTS_PATH = '/__live_assets/events'
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url))
const SHEETS = ['one', 'two', 'three'] as const
const sites = useSites('reliability: delivery')

interface Away {
  /** Cuts the page's stream and answers its reconnects with 503 until `comeBack()`. */
  leave: () => void
  comeBack: () => void
  /** Reconnects refused while away. */
  refused: () => number
  /** Query of every stream the server accepted, in order. */
  accepted: URLSearchParams[]
}

/** A page that goes away for a while: a laptop lid, a flaky network, a proxy restart. */
function installAway(site: Site): Away {
  const streams = new Set<ServerResponse>()
  const accepted: URLSearchParams[] = []
  let refused = 0
  let away = false
  site.page.route((_req, res, url) => {
    if (url.pathname !== EVENTS_PATH)
      return false
    if (away) {
      refused++
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('away')
      return true
    }
    accepted.push(url.searchParams)
    streams.add(res)
    res.on('close', () => streams.delete(res))
    return false
  })
  return {
    leave() {
      away = true
      streams.forEach(res => res.destroy())
    },
    comeBack() {
      away = false
    },
    refused: () => refused,
    accepted,
  }
}

const colors = (live: LivePage): Promise<string[]> => Promise.all(SHEETS.map(name => live.style(`#${name}`, 'color')))
const refetches = (site: Site): number[] => SHEETS.map(name => site.refetches(`/css/${name}.css`))

describe('delivery to a real page', () => {
  it('applies 3 changes made while the page was away exactly once when it comes back', async () => {
    let away!: Away
    const { site, live } = await sites.open('/index.html', { fixtures, before: (s) => {
      away = installAway(s)
    } })
    away.leave()
    await live.waitForEvents('disconnect', 1)
    await expect.poll(() => site.handler.broadcaster.stats().subscribers).toBe(0)
    const ids: string[] = []
    for (const [i, name] of SHEETS.entries()) {
      await site.write(`css/${name}.css`, `#${name} { color: rgb(${i + 1}, 1, 1); }`)
      ids.push(await site.publish('reloadCSS', { files: [`/css/${name}.css`] }))
    }
    await expect.poll(() => away.refused(), { timeout: 10_000 }).toBeGreaterThanOrEqual(1)
    expect(await live.events('after-swap')).toEqual([])

    const backAt = performance.now()
    away.comeBack()
    await live.waitForEvents('connect', 2, 20_000)
    await live.waitForEvents('after-swap', 3)
    const caughtUp = performance.now() - backAt
    expect(await colors(live)).toEqual(['rgb(1, 1, 1)', 'rgb(2, 1, 1)', 'rgb(3, 1, 1)'])
    // A marker after the replay: a change replayed twice would have been swapped again by now.
    await site.write('css/one.css', '#one { color: rgb(9, 9, 9); }')
    site.publish('reloadCSS', { files: ['/css/one.css'] })
    await live.waitForEvents('after-swap', 4)
    expect(refetches(site)).toEqual([2, 1, 1])
    const swapped = (await live.events('after-swap')).map(d => d.files.map((f: string) => new URL(f).pathname))
    expect(swapped.slice(0, 3).flat().sort()).toEqual(['/css/one.css', '/css/three.css', '/css/two.css'])
    expect(swapped[3]).toEqual(['/css/one.css'])
    // The reconnect asked for what came after the last event it had seen.
    const [epoch, first] = ids[0].split('-')
    expect(away.accepted.at(-1)!.get('lastEventId')).toBe(`${epoch}-${Number(first) - 1}`)
    expect(await live.sentinel()).toBe(live.firstSentinel)
    console.info(`[reliability] 3 changes while away: replayed once each, page caught up ${caughtUp.toFixed(0)} ms after the server took it back (${away.refused()} reconnects refused meanwhile)`)
  })

  it('refreshes every stylesheet exactly once when the id it comes back with has left the replay ring', async () => {
    let away!: Away
    const { site, live } = await sites.open('/index.html', { fixtures, live: { replay: 2 }, before: (s) => {
      away = installAway(s)
    } })
    away.leave()
    await live.waitForEvents('disconnect', 1)
    for (let i = 1; i <= 5; i++) {
      await site.write('css/one.css', `#one { color: rgb(${i}, 5, 5); }`)
      site.publish('reloadCSS', { files: ['/css/one.css'] })
    }
    await expect.poll(() => away.refused(), { timeout: 10_000 }).toBeGreaterThanOrEqual(1)
    away.comeBack()
    await live.waitForEvents('connect', 2, 20_000)
    await live.waitForEvents('after-swap', 1)
    expect(await colors(live)).toEqual(['rgb(5, 5, 5)', 'rgb(2, 0, 0)', 'rgb(3, 0, 0)'])
    await site.write('css/two.css', '#two { color: rgb(7, 7, 7); }')
    site.publish('reloadCSS', { files: ['/css/two.css'] })
    await live.waitForEvents('after-swap', 2)
    // One full refresh (each sheet once), then the marker; none of the 5 lost events was replayed.
    expect(refetches(site)).toEqual([1, 2, 1])
    expect((await live.events('after-swap'))[0].files).toHaveLength(3)
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })

  describe('when the socket stays open but nothing comes through', () => {
    let proxy: FreezingProxy | undefined
    afterEach(async () => {
      await proxy?.close()
      proxy = undefined
    })

    it('reconnects within 2.5 heartbeats of the last ping, every time', async () => {
      const heartbeatMs = 400
      proxy = await startFreezingProxy()
      const hops = proxy.hops
      const { site, live } = await sites.open('/index.html', { fixtures, mode: 'cross-origin', live: { heartbeatMs }, before: (s) => {
        // The page loads the client, and so the stream, through the proxy.
        proxy!.target = Number(new URL(s.page.liveOrigin).port)
        s.page.liveOrigin = proxy!.url
      } })
      const detections: number[] = []
      const reconnects: number[] = []
      for (let cycle = 0; cycle < 5; cycle++) {
        const current = (): Hop | undefined => hops.filter(h => h.events && h.closedAt === undefined).at(-1)
        await expect.poll(() => (current()?.pings ?? 0) >= 2, { timeout: 10_000 }).toBe(true)
        const hop = current()!
        hop.frozen = true
        await expect.poll(() => hop.closedAt !== undefined && current() !== undefined, { timeout: 10_000 }).toBe(true)
        const next = current()!
        detections.push(hop.closedAt! - hop.lastForwardedAt)
        reconnects.push(next.openedAt - hop.lastForwardedAt)
      }
      const watchdog = 2.5 * heartbeatMs
      console.info(`[reliability] pings stopped with the socket open (heartbeat ${heartbeatMs} ms, watchdog ${watchdog} ms), 5 times: stream given up ${summary(detections)} after the last bytes; new stream ${summary(reconnects)} after them`)
      const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
      // Never before the watchdog (nothing else closes the stream), and about when it fires: the budget is
      // 2.5 heartbeats, plus the first backoff step (at most 500 ms) for the new stream.
      expect(Math.min(...detections)).toBeGreaterThanOrEqual(watchdog - 50)
      expect(median(detections)).toBeLessThan(watchdog + 250)
      expect(Math.max(...detections)).toBeLessThan(watchdog + 1500)
      expect(median(reconnects)).toBeLessThan(watchdog + 500 + 250)
      // Still live afterwards.
      await site.write('css/two.css', '#two { color: rgb(4, 4, 4); }')
      site.publish('reloadCSS', { files: ['/css/two.css'] })
      await live.waitForEvents('after-swap', 1)
      expect(await live.style('#two', 'color')).toBe('rgb(4, 4, 4)')
      expect(await live.sentinel()).toBe(live.firstSentinel)
    }, 60_000)
  })
})
