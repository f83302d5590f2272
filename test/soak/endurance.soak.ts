import { writeFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { startFreezingProxy } from '../reliability/tcp-proxy'
import { startSheetsSite, useCleanup } from './sheets'

const DURATION_MS = 90_000
const FILES = 10
const TABS = 4
const color = (i: number, version: number): string => `rgb(${i}, ${version % 256}, ${Math.floor(version / 256)})`
const rule = (i: number, version: number): string => `#s${i} { color: ${color(i, version)}; }\n`
const cleanup = useCleanup()

describe('endurance', () => {
  it(`${DURATION_MS / 1000} s of edits while connections are dropped and stalled: every page ends on the final state`, async () => {
    // The pages reach the live server through a proxy that the test drops and stalls at random.
    const proxy = await startFreezingProxy()
    cleanup(() => proxy.close())
    const site = await startSheetsSite({ sheets: FILES, tabs: TABS, initial: i => rule(i, 0), live: { heartbeatMs: 1000 }, async between(live) {
      proxy.target = live.port
      return proxy.url
    } }, cleanup)

    const versions = Array.from({ length: FILES }, () => 0)
    let version = 0
    const faults = { cut: 0, stalled: 0 }
    const started = performance.now()
    let nextFault = started + 2000
    while (performance.now() - started < DURATION_MS) {
      const i = Math.floor(Math.random() * FILES)
      versions[i] = ++version
      await writeFile(site.file(i), rule(i, version))
      if (performance.now() > nextFault) {
        const open = proxy.hops.filter(h => h.events && h.closedAt === undefined && !h.frozen)
        const hop = open[Math.floor(Math.random() * open.length)]
        if (hop && Math.random() < 0.5) {
          hop.cut()
          faults.cut++
        }
        else if (hop) {
          hop.frozen = true
          faults.stalled++
        }
        nextFault = performance.now() + 1000 + Math.random() * 2000
      }
      // The pace of a busy editing session with a formatter on save.
      await new Promise(resolve => setTimeout(resolve, 100 + Math.random() * 100))
    }
    const finishedAt = performance.now()
    await site.waitForColors(versions.map((v, i) => color(i, v)), 60_000)
    const settledIn = performance.now() - finishedAt
    for (const tab of site.tabs) {
      expect(await tab.sentinel()).toBe(tab.firstSentinel)
      expect(await tab.page.evaluate(() => document.querySelectorAll('link').length)).toBe(FILES)
    }
    // Every page has one stream again; nothing was dropped for falling behind.
    await expect.poll(() => site.live.handler.broadcaster.stats().subscribers, { timeout: 30_000 }).toBe(TABS)
    const stats = site.live.handler.broadcaster.stats()
    expect(stats.dropped).toEqual({ backpressure: 0, full: 0 })
    const streams = proxy.hops.filter(h => h.events).length
    const swaps = (await Promise.all(site.tabs.map(tab => tab.events('after-swap')))).map(list => list.length)
    console.info(`[reliability] endurance ${DURATION_MS / 1000} s: ${version} edits -> ${stats.eventsPublished} events; ${faults.cut} connections cut, ${faults.stalled} stalled; ${streams} streams opened for ${TABS} pages; swaps per page ${swaps.join('/')}; every page on the final state ${settledIn.toFixed(0)} ms after the last edit, no reload, ${FILES} links each`)
  }, 240_000)
})
