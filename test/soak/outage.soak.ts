import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { useSites } from '../utils/site'

const fixtures = fileURLToPath(new URL('../reliability/fixtures', import.meta.url))
const EVENTS_PATH = '/__live_assets/events'
const DOWN_MS = 10_000
const sites = useSites('soak: outage')

describe('a server that is down for 10 s', () => {
  it('is reconnected to within a second of its restart, without hammering it meanwhile, and the page catches up', async () => {
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
    // The next attempt comes when the current backoff step ends: at most 0.8 s on loopback.
    await live.waitForEvents('connect', 2, 30_000)
    const reconnectedIn = performance.now() - restartAt
    await live.waitForEvents('after-swap', 1)
    const caughtUpIn = performance.now() - restartAt

    const gaps = attempts.slice(1).map((at, i) => at - attempts[i])
    console.info(`[reliability] server down ${DOWN_MS / 1000} s: ${attemptsWhileDown} reconnect attempts (first ${(attempts[0] - downAt).toFixed(0)} ms after the stop, then gaps ${gaps.map(g => g.toFixed(0)).join(', ')} ms); reconnected ${reconnectedIn.toFixed(0)} ms and caught up ${caughtUpIn.toFixed(0)} ms after the restart`)
    // Backoff on loopback: 0.25-0.5 s, then 0.4-0.8 s (a refused connect to this machine costs nothing, and the
    // developer waits for the restart): 12 to 25 attempts in 10 s, never more than 4 a second. A remote server's
    // doubling to 30 s is unit-tested (packages/client/test/connection.test.ts).
    expect(attemptsWhileDown).toBeGreaterThanOrEqual(10)
    expect(attemptsWhileDown).toBeLessThanOrEqual(27)
    gaps.forEach(gap => expect(gap).toBeGreaterThan(200))
    gaps.forEach(gap => expect(gap).toBeLessThan(800 + 300))
    expect(reconnectedIn).toBeLessThan(1000)

    // One refresh of every sheet (a new epoch) brought the changes made while down.
    expect(await Promise.all(['#one', '#two', '#three'].map(s => live.style(s, 'color')))).toEqual(['rgb(10, 10, 10)', 'rgb(2, 0, 0)', 'rgb(30, 30, 30)'])
    expect(['one', 'two', 'three'].map(n => site.refetches(`/css/${n}.css`))).toEqual([1, 1, 1])
    expect(await live.sentinel()).toBe(live.firstSentinel)
    expect(site.handler.broadcaster.stats().subscribers).toBe(1)
  }, 120_000)
})
