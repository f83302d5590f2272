import { spawn } from 'node:child_process'
import process from 'node:process'
import { describe, expect, it } from 'vitest'
import { openStream } from '../reliability/stream'
import { startSheetsSite, useCleanup } from './sheets'

const FILES = 500
const TABS = 3
/** The color sheet `i` gives its element in version `v`: unique per sheet and version. */
const color = (i: number, v: number): string => `rgb(${i % 256}, ${Math.floor(i / 256)}, ${v})`
const rule = (i: number, v: number): string => `#s${i} { color: ${color(i, v)}; }\n`
const cleanup = useCleanup()

/**
 * Writes each wave's files one after the other, pausing 30 ms between waves, in a child process; returns how long
 * the writes took and the `Date.now()` of the last one.
 */
async function checkout(waves: [file: string, text: string][][]): Promise<{ ms: number, last: number }> {
  const child = spawn(process.execPath, ['-e', `
    const { writeFileSync } = require('node:fs')
    let input = ''
    process.stdin.setEncoding('utf8').on('data', chunk => input += chunk).on('end', async () => {
      const started = performance.now()
      let last
      for (const wave of JSON.parse(input)) {
        for (const [file, text] of wave) writeFileSync(file, text)
        last = Date.now()
        await new Promise(resolve => setTimeout(resolve, 30))
      }
      console.log(JSON.stringify({ ms: performance.now() - started - 30, last }))
    })
  `], { stdio: ['pipe', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => output += chunk)
  child.stdin.end(JSON.stringify(waves))
  const code = await new Promise(resolve => child.once('exit', resolve))
  expect(code).toBe(0)
  return JSON.parse(output)
}

declare global {
  interface Window {
    /** `Date.now()` of the first swap after which every element shows its final color. */
    __settledAt?: number
    /** `Date.now()` when the page was told of the last event (the client's `before-swap`). */
    __lastEventAt?: number
    /** Milliseconds of long tasks (50 ms or more) on the page's main thread since the checkout began. */
    __busyMs?: number
  }
}

describe('a branch switch', () => {
  it(`ends with every page on the final state soon after ${FILES} stylesheets change in about a second`, async () => {
    // Tabs of one browser, as a developer's are: one shared stream and one HTTP cache, which the tabs' fetches of one
    // event share (the page server lets stylesheets be cached, as most static servers do).
    const site = await startSheetsSite({ sheets: FILES, tabs: TABS, sameBrowser: true, initial: i => rule(i, 0) }, cleanup)
    const ids = Array.from({ length: FILES }, (_, i) => i)
    await site.waitForColors(ids.map(i => color(i, 0)), 10_000)

    // What the browser alone needs to fetch every sheet once in every tab, all tabs at once: the floor of any client.
    const fetchAll = await Promise.all(site.tabs.map(tab => tab.page.evaluate(async () => {
      const started = performance.now()
      const clones = await Promise.all([...document.querySelectorAll<HTMLLinkElement>('link')].map(link => new Promise<Element>((resolve) => {
        const clone = link.cloneNode() as HTMLLinkElement
        clone.media = 'not all'
        clone.href = `${link.href}?floor=${Math.random()}`
        clone.onload = clone.onerror = () => resolve(clone)
        link.after(clone)
      })))
      clones.forEach(clone => clone.remove())
      return performance.now() - started
    })))
    const floor = Math.max(...fetchAll)

    const final = ids.map(i => color(i, 2))
    for (const tab of site.tabs) {
      await tab.page.evaluate((want) => {
        performance.clearResourceTimings()
        performance.setResourceTimingBufferSize(10 * want.length)
        const elements = want.map((_, i) => document.getElementById(`s${i}`)!)
        window.__busyMs = 0
        new PerformanceObserver(list => list.getEntries().forEach(task => window.__busyMs! += task.duration)).observe({ type: 'longtask' })
        addEventListener('live-assets:before-swap', () => window.__lastEventAt = Date.now())
        addEventListener('live-assets:after-swap', () => {
          window.__settledAt ??= elements.every((el, i) => getComputedStyle(el).color === want[i]) ? Date.now() : undefined
        })
      }, final)
    }

    // The checkout, from a process of its own as git would run: every file rewritten in a shuffled order, one in
    // seven twice (an intermediate version first), in ten waves of writes.
    const order = [...ids].sort(() => Math.random() - 0.5)
    const waves = Array.from({ length: 10 }, (_, wave) => order.slice(wave * FILES / 10, (wave + 1) * FILES / 10)
      .flatMap(i => [...(i % 7 === 0 ? [rule(i, 1)] : []), rule(i, 2)].map((text): [string, string] => [site.file(i), text])))
    // A subscriber in this process: when each event left the server, apart from when the pages were told.
    const server = await openStream(`${site.live.url}/__live_assets/events`, { Origin: site.pages.url })
    cleanup(async () => server.close())
    const { ms: writtenIn, last } = await checkout(waves)
    // About 0.5 s on an idle machine; a busy one stretches the burst, which the pages must survive just as well.
    expect(writtenIn).toBeLessThan(3000)
    await site.waitForColors(final, 120_000)

    const settled: number[] = []
    const told: number[] = []
    const busy: number[] = []
    const perSheet: number[] = []
    const perTwiceWritten: number[] = []
    for (const tab of site.tabs) {
      // No clone left behind, and no page reload.
      expect(await tab.page.evaluate(() => document.querySelectorAll('link').length)).toBe(FILES)
      expect(await tab.sentinel()).toBe(tab.firstSentinel)
      settled.push(await tab.page.evaluate(() => window.__settledAt!) - last)
      told.push(await tab.page.evaluate(() => window.__lastEventAt!) - last)
      busy.push(await tab.page.evaluate(() => window.__busyMs!))
      // Every fetch of a sheet with our cache-busting parameter, by this tab.
      const fetched = await tab.page.evaluate(() => performance.getEntriesByType('resource')
        .map(entry => new URL(entry.name))
        .filter(url => url.searchParams.has('la'))
        .map(url => url.pathname))
      const counts = new Map<string, number>()
      for (const path of fetched)
        counts.set(path, (counts.get(path) ?? 0) + 1)
      // A sheet written twice (an intermediate version first) may be fetched once per version a page was told of.
      const writtenTwice = (path: string): boolean => Number(/s(\d+)\.css$/.exec(path)?.[1]) % 7 === 0
      perSheet.push(Math.max(...[...counts].filter(([path]) => !writtenTwice(path)).map(([, count]) => count)))
      perTwiceWritten.push(Math.max(...[...counts].filter(([path]) => writtenTwice(path)).map(([, count]) => count)))
    }
    const { eventsPublished } = site.live.handler.broadcaster.stats()
    const lastSent = performance.timeOrigin + Math.max(...server.events.filter(event => event.event === 'reloadCSS').map(event => event.at)) - last
    const refetches = site.pages.requests.filter(r => r.path.startsWith('/css/') && r.search.has('la')).length
    console.info(`[reliability] branch switch: ${FILES} files rewritten in ${writtenIn.toFixed(0)} ms -> ${eventsPublished} reloadCSS events; ${TABS} pages on the final state ${settled.map(ms => ms.toFixed(0)).join(', ')} ms after the last write (the browser alone fetches ${FILES} sheets in every tab at once in ${floor.toFixed(0)} ms); at most ${Math.max(...perSheet)} fetch per sheet per tab, ${Math.max(...perTwiceWritten)} for one written twice (${refetches} in all, ${(refetches / TABS / FILES).toFixed(2)} per sheet per tab); the last event left the server ${lastSent.toFixed(0)} ms after the last write, the pages were told of it ${told.map(ms => ms.toFixed(0)).join(', ')} ms after the last write, their main threads busy with long tasks for ${busy.map(ms => ms.toFixed(0)).join(', ')} ms`)

    expect(Math.max(...perSheet)).toBe(1)
    expect(Math.max(...perTwiceWritten)).toBeLessThanOrEqual(2)
    expect(refetches).toBeLessThanOrEqual((FILES + ids.filter(i => i % 7 === 0).length) * TABS)
    // 2 s after the last write, or 2 s over what the browser alone needs to fetch every sheet once in every tab where
    // that is longer (4.1 to 6.5 s for 3 × 500 fetches on 2 busy cores). With the tabs' fetches of one event shared
    // through the cache, runs end 0.4 to 1.6 s under it; with a fetch per tab they ended 0.2 to 2.5 s over it. Matching
    // each file against every sheet's URL anew took another 1.3 to 1.5 s (2 to 4 s over the floor).
    expect(Math.max(...settled)).toBeLessThanOrEqual(Math.max(2000, floor + 2000))
  })
})
