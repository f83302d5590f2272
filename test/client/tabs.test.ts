import type { BrowserContext } from 'playwright-core'
import type { LivePage } from '../utils/live-page'
import type { Site } from '../utils/site'
import { afterEach, describe, expect, it } from 'vitest'
import { getBrowser } from '../utils/browser'
import { openPage } from '../utils/live-page'
import { startSite } from '../utils/site'

const TABS = 10

let site: Site | undefined
let context: BrowserContext | undefined
afterEach(async () => {
  await context?.close()
  await site?.close()
  context = site = undefined
})

/** Every tab shows `color` on `#o`. */
async function allShow(tabs: LivePage[], color: string): Promise<void> {
  for (const tab of tabs)
    await expect.poll(() => tab.style('#o', 'color')).toBe(color)
}

async function edit(color: string): Promise<void> {
  await site!.write('css/other.css', `#o { color: ${color}; }`)
  site!.publish('reloadCSS', { files: ['/css/other.css'] })
}

const modes = {
  // Chromium has SharedWorker: the client hosts the stream there.
  'a shared worker': { hide: false },
  // Without SharedWorker (Safari on iOS before 16, Chrome on Android), one tab leads through Web Locks.
  'a leader tab': { hide: true },
}

describe.each(Object.entries(modes))('one connection for every tab, through %s', (_, { hide }) => {
  it(`${TABS} tabs on one HTTP/1.1 origin all load, hold one stream and restyle; closing the first keeps the others live`, async () => {
    site = await startSite({ live: { client: { debug: true } } })
    // One context: one socket pool, at most six connections to the origin, as in one browser profile.
    context = await (await getBrowser()).newContext()
    if (hide)
      await context.addInitScript(() => delete (window as { SharedWorker?: unknown }).SharedWorker)
    const tabs: LivePage[] = []
    // Each opening waits for the load event and the client's `connect`: a seventh tab with six streams open never loads.
    for (let i = 0; i < TABS; i++)
      tabs.push(await openPage(site.url('/index.html'), { context }))
    expect(site.handler.broadcaster.stats().subscribers).toBe(1)
    expect(site.page.count('/__live_assets/events')).toBe(1)
    const via = hide ? /leading: this tab holds the connection/ : /through a shared worker/
    expect(tabs[0].console.filter(line => via.test(line))).toHaveLength(1)
    for (const tab of tabs)
      expect(await tab.sentinel()).toBe(tab.firstSentinel)

    await edit('rgb(0, 0, 101)')
    await allShow(tabs, 'rgb(0, 0, 101)')
    for (const tab of tabs)
      expect(await tab.events('after-swap')).toHaveLength(1)
    // Every tab asks for the sheet under the event's token: the page server, which lets stylesheets be cached, is asked
    // once, and the browser's cache answers the other tabs.
    expect(site.refetches('/css/other.css')).toBe(1)

    // The first tab opened the stream (the worker's owner, or the leader); the rest carry on without it.
    await tabs.shift()!.close()
    await expect.poll(() => site!.handler.broadcaster.stats().subscribers).toBe(1)
    await edit('rgb(0, 0, 102)')
    await allShow(tabs, 'rgb(0, 0, 102)')
    for (const tab of tabs) {
      expect(await tab.events('after-swap')).toHaveLength(2)
      expect(await tab.sentinel()).toBe(tab.firstSentinel)
    }
    expect(site.handler.broadcaster.stats().subscribers).toBe(1)
  })
})
