import type { Browser } from 'playwright-core'
import type { Site } from '../utils/site'
import { chromium } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { chromeArgs, chromePath } from '../utils/global-setup'
import { openPage } from '../utils/live-page'
import { startSite } from '../utils/site'

declare global {
  interface Window {
    /** Set by the test: still there after "back" only if the page came from the back/forward cache. */
    __kept?: number
  }
}

// Playwright turns the back/forward cache off by default; this file needs a Chromium with it on.
let browser: Browser
let site: Site | undefined
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: chromePath, args: chromeArgs, ignoreDefaultArgs: ['--disable-back-forward-cache'] })
})
afterEach(async () => {
  await site?.close()
  site = undefined
})
afterAll(() => browser?.close())

const modes = {
  'the shared worker': () => {},
  'a leader tab': () => delete (window as { SharedWorker?: unknown }).SharedWorker,
  'its own connection': () => {
    delete (window as { SharedWorker?: unknown }).SharedWorker
    Object.defineProperty(navigator, 'locks', { value: undefined })
  },
}

describe.each(Object.entries(modes))('the back/forward cache, with %s', (_, hide) => {
  it('closes the stream on pagehide, stays cacheable, and catches up on pageshow', async () => {
    site = await startSite({ live: { client: { debug: true } } })
    const context = await browser.newContext()
    try {
      await context.addInitScript(hide)
      const page = await context.newPage()
      const log: string[] = []
      page.on('console', message => void log.push(message.text()))
      const color = (): Promise<string> => page.evaluate(() => getComputedStyle(document.querySelector('#o')!).color)
      const subscribers = (): number => site!.handler.broadcaster.stats().subscribers
      /** Polls for the colour; a miss says what the client logged. */
      const showsColor = (value: string): Promise<unknown> => expect.poll(color, { timeout: 5000 }).toBe(value).catch((error: Error) => {
        throw new Error(`${error.message}\nThe page's console:\n${log.join('\n')}`)
      })
      await page.goto(site.url('/index.html'))
      await expect.poll(subscribers).toBe(1)
      await page.evaluate(() => window.__kept = 1)

      await page.goto(site.url('/plain.html'))
      // Nothing holds a stream for a page in the cache.
      await expect.poll(subscribers).toBe(0)
      await site.write('css/other.css', '#o { color: rgb(0, 0, 111); }')
      site.publish('reloadCSS', { files: ['/css/other.css'] })

      // A page restored from the cache fires no load event.
      await page.goBack({ waitUntil: 'commit' })
      await page.waitForFunction(() => document.readyState === 'complete')
      const restored = await page.evaluate(() => ({
        kept: window.__kept,
        reasons: JSON.stringify((performance.getEntriesByType('navigation')[0] as { notRestoredReasons?: unknown }).notRestoredReasons ?? null),
      }))
      expect(restored).toEqual({ kept: 1, reasons: 'null' })
      await showsColor('rgb(0, 0, 111)')
      await expect.poll(subscribers).toBe(1)

      await site.write('css/other.css', '#o { color: rgb(0, 0, 112); }')
      site.publish('reloadCSS', { files: ['/css/other.css'] })
      await showsColor('rgb(0, 0, 112)')
      expect(site.page.count('/index.html')).toBe(1)
    }
    finally {
      await context.close()
    }
  })
})

describe('a page that comes back without the back/forward cache', () => {
  it('reloads every stylesheet once: the HTTP cache still has them as they were before the edits', async () => {
    site = await startSite()
    // The run's Chromium, launched by Playwright with the back/forward cache off.
    const live = await openPage(site.url('/index.html'))
    try {
      await live.page.goto(site.url('/plain.html'))
      await site.write('css/other.css', '#o { color: rgb(0, 0, 121); }')
      site.publish('reloadCSS', { files: ['/css/other.css'] })
      await live.page.goBack()
      await live.waitForEvents('connect', 1)
      expect(site.page.count('/index.html')).toBe(2)
      await expect.poll(() => live.style('#o', 'color')).toBe('rgb(0, 0, 121)')
      // One refresh of every sheet, then only what changes.
      await live.waitForEvents('after-swap', 1)
      expect((await live.events('after-swap'))[0].files).toHaveLength(3)
    }
    finally {
      await live.close()
    }
  })
})
