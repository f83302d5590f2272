import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { useSites } from '../utils/site'

const fixtures = fileURLToPath(new URL('../reliability/fixtures', import.meta.url))
const EVENTS_PATH = '/__live_assets/events'
const DOWN_MS = 10_000
const sites = useSites('soak: outage')

describe('a server that is down for 10 s', () => {
  it('is reconnected to with backoff, and the page catches up with what changed meanwhile', async () => {
    const { site, live } = await sites.open('/index.html', { fixtures, mode: 'cross-origin' })
    const attempts: number[] = []
    live.page.on('requestfailed', (request) => {
      if (request.url().includes(EVENTS_PATH))
        attempts.push(performance.now())
    })
    const epoch = site.handler.broadcaster.epoch
    await site.stopLive()
    const downAt = performance.now()
    await live.waitForEvents('disconnect', 1)
    // Changed while nobody could tell the page.
    await site.write('css/one.css', '#one { color: rgb(10, 10, 10); }')
    await site.write('css/three.css', '#three { color: rgb(30, 30, 30); }')
    // The outage itself: a fixed span by definition.
    await new Promise(resolve => setTimeout(resolve, DOWN_MS - (performance.now() - downAt)))
    const attemptsWhileDown = attempts.length
    const restartAt = performance.now()
    await site.startLive()
    expect(site.handler.broadcaster.epoch).not.toBe(epoch)
    // The next attempt comes when the current backoff step ends: at most 16 s after 10 s down.
    await live.waitForEvents('connect', 2, 30_000)
    const reconnectedIn = performance.now() - restartAt
    await live.waitForEvents('after-swap', 1)
    const caughtUpIn = performance.now() - restartAt

    const gaps = attempts.slice(1).map((at, i) => at - attempts[i])
    console.info(`[reliability] server down ${DOWN_MS / 1000} s: ${attemptsWhileDown} reconnect attempts (first ${(attempts[0] - downAt).toFixed(0)} ms after the stop, then gaps ${gaps.map(g => g.toFixed(0)).join(', ')} ms); reconnected ${reconnectedIn.toFixed(0)} ms and caught up ${caughtUpIn.toFixed(0)} ms after the restart`)
    // Backoff: a handful of attempts, not one per second, each gap within its step (0.5 s doubling, jitter 50-100 %).
    expect(attemptsWhileDown).toBeGreaterThanOrEqual(3)
    expect(attemptsWhileDown).toBeLessThanOrEqual(7)
    gaps.forEach((gap, i) => expect(gap).toBeLessThan(500 * 2 ** (i + 1) + 1000))
    expect(Math.max(...gaps)).toBeGreaterThan(2 * Math.min(...gaps))
    expect(reconnectedIn).toBeLessThan(16_000 + 2000)

    // One refresh of every sheet (a new epoch) brought the changes made while down.
    expect(await Promise.all(['#one', '#two', '#three'].map(s => live.style(s, 'color')))).toEqual(['rgb(10, 10, 10)', 'rgb(2, 0, 0)', 'rgb(30, 30, 30)'])
    expect(['one', 'two', 'three'].map(n => site.refetches(`/css/${n}.css`))).toEqual([1, 1, 1])
    expect(await live.sentinel()).toBe(live.firstSentinel)
    expect(site.handler.broadcaster.stats().subscribers).toBe(1)
  }, 120_000)
})
