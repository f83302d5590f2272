import type { Page } from 'playwright-core'
import type { LivePage } from '../utils/live-page'
import type { OpenOptions, Site } from '../utils/site'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { useSites } from '../utils/site'

declare global {
  interface Window {
    /** `securitypolicyviolation` events of the page: `<directive> <blocked URL>`. */
    __csp: string[]
    /** `performance.now()` of each time an overlay was added to the document. */
    __overlays: number[]
  }
}

const sites = useSites('extras')
const EXTRAS = '/__live_assets/client-extras.js'
const NONCE = 'la-extras-nonce-9c1e'
const STRICT = `default-src 'none'; script-src 'nonce-${NONCE}'; style-src 'nonce-${NONCE}'; connect-src 'self'; img-src 'self'; worker-src 'self'`

/** Pages of these tests, served by the page server: `%LIVE%` is the live server's origin in cross-origin mode. */
const PAGES: Record<string, string> = {
  '/linked.html': `<link rel="stylesheet" href="/css/other.css" nonce="${NONCE}">
    <script nonce="${NONCE}" src="%LIVE%/__live_assets/client.js"></script>
    <div id="s">sentinel</div><div id="o">other</div>`,
  '/image.html': `<script src="%LIVE%/__live_assets/client.js"></script>
    <div id="s">sentinel</div><img id="i" src="/img/a.svg">`,
  '/shadow-frame.html': `<script src="%LIVE%/__live_assets/client.js"></script>
    <div id="s">sentinel</div><div id="host"></div><iframe id="frame" src="/framed-plain.html"></iframe>
    <script>document.querySelector('#host').attachShadow({ mode: 'open' }).innerHTML = '<link rel="stylesheet" href="/css/other.css"><div id="o">in shadow</div>'</script>`,
  // A frame without a client of its own: the parent's client swaps its sheets.
  '/framed-plain.html': `<link rel="stylesheet" href="/css/frame.css"><div id="f">framed</div>`,
  // The ES module build, as a bundle would carry it.
  '/esm.html': `<link rel="stylesheet" href="/css/other.css"><div id="s">sentinel</div>
    <script type="module">
      import { startClient } from '/client.mjs'
      startClient({ base: '/__live_assets', overlay: true, heartbeatMs: 30000 })
    </script>`,
}

interface Opened {
  site: Site
  live: LivePage
  /** Full URLs of the page's requests for the extras, in order (Playwright's view, any origin). */
  extras: string[]
}

async function open(path: string, { policy, ...options }: OpenOptions & { policy?: string } = {}): Promise<Opened> {
  const extras: string[] = []
  const { site, live } = await sites.open(path, {
    ...options,
    before: site => void site.page.route(async (_req, res, url) => {
      if (url.pathname === '/client.mjs') {
        res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(await readFile(createRequire(import.meta.url).resolve('@live-assets/client'), 'utf8'))
        return true
      }
      const body = PAGES[url.pathname]
      if (body === undefined)
        return false
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...policy && { 'Content-Security-Policy': policy } })
      res.end(`<!doctype html><html><head><meta charset="utf-8"><title>extras</title></head><body>${body.replaceAll('%LIVE%', site.page.liveOrigin)}</body></html>`)
      return true
    }),
    page: {
      beforeLoad: async (page: Page) => {
        page.on('request', request => void (new URL(request.url()).pathname === EXTRAS && extras.push(request.url())))
        await page.addInitScript(() => {
          window.__csp = []
          document.addEventListener('securitypolicyviolation', event => window.__csp.push(`${event.effectiveDirective} ${event.blockedURI}`))
          window.__overlays = []
          new MutationObserver((records) => {
            if (records.some(record => [...record.addedNodes].some(node => node.nodeName === 'LIVE-ASSETS-OVERLAY')))
              window.__overlays.push(performance.now())
          }).observe(document, { childList: true, subtree: true })
        })
      },
    },
  })
  return { site, live, extras }
}

function overlayBackground(live: LivePage): Promise<string | null> {
  return live.page.evaluate(() => {
    const box = document.querySelector('live-assets-overlay')?.shadowRoot?.querySelector('div')
    return box ? getComputedStyle(box).backgroundColor : null
  })
}

/**
 * What the first overlay of a page waited for: from the request for the extras (sent as the `error` event came) to
 * the overlay in the document, and the load alone, in ms of the page's clock.
 */
function firstOverlayWait(live: LivePage): Promise<{ overlay: number, load: number }> {
  return live.page.evaluate((path) => {
    const entry = performance.getEntriesByType('resource').find(e => new URL(e.name).pathname === path) as PerformanceResourceTiming
    return { overlay: window.__overlays[0] - entry.startTime, load: entry.responseEnd - entry.startTime }
  }, EXTRAS)
}

describe('the on-demand extras of the client', () => {
  it('are not requested by a page that only swaps linked sheets', async () => {
    const { site, live, extras } = await open('/linked.html')
    for (const shade of [121, 122]) {
      await site.write('css/other.css', `#o { color: rgb(0, 0, ${shade}); }`)
      site.publish('reloadCSS', { files: ['/css/other.css'] })
      await expect.poll(() => live.style('#o', 'color')).toBe(`rgb(0, 0, ${shade})`)
    }
    // A change this page has nothing to do with falls back to reloading its sheets: no extras either.
    site.publish('reloadCSS', { files: ['/css/nowhere.css'] })
    site.publish('clearError')
    await live.waitForEvents('after-swap', 3)
    expect(extras).toEqual([])
    expect(site.page.count(EXTRAS)).toBe(0)
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })

  it('show the overlay on the first build error, loaded once', async () => {
    const { site, live, extras } = await open('/linked.html')
    site.publish('error', { message: 'broken.css:1:1 Unknown word' })
    await live.waitForEvents('error', 1)
    expect(await overlayBackground(live)).toBe('rgb(24, 24, 24)')
    const { overlay, load } = await firstOverlayWait(live)
    console.info(`[live-assets] extras: the first overlay showed ${overlay.toFixed(1)} ms after the extras were requested (load ${load.toFixed(1)} ms)`)

    for (let n = 2; n <= 3; n++) {
      site.publish('clearError')
      await live.page.waitForFunction(() => !document.querySelector('live-assets-overlay'))
      site.publish('error', { message: `broken.css:${n}:1 Unknown word` })
      await live.waitForEvents('error', n)
      expect(await overlayBackground(live)).toBe('rgb(24, 24, 24)')
    }
    expect(extras).toHaveLength(1)
    expect(site.page.count(EXTRAS)).toBe(1)
  })

  it('keep the order of events while they load: an error cleared meanwhile leaves no overlay', async () => {
    const { site, live, extras } = await open('/linked.html')
    // Slow the extras down so that the clearError surely arrives while they load.
    site.page.route(async (_req, _res, url) => {
      if (url.pathname === EXTRAS)
        await new Promise(resolve => setTimeout(resolve, 300))
      return false
    })
    site.publish('error', { message: 'broken.css:1:1 Unknown word' })
    site.publish('clearError')
    await live.waitForEvents('error', 1)
    await expect.poll(() => extras.length).toBe(1)
    // Whatever the extras did on arrival is done by the time `error` was dispatched (it waits for them).
    expect(await live.page.evaluate(() => !!document.querySelector('live-assets-overlay'))).toBe(false)
  })

  it('show the styled overlay under a strict nonce-based Content-Security-Policy, without a violation', async () => {
    const { site, live, extras } = await open('/linked.html', { policy: STRICT })
    site.publish('error', { message: 'broken.css:1:1 Unknown word' })
    await live.waitForEvents('error', 1)
    expect(await overlayBackground(live)).toBe('rgb(24, 24, 24)')
    expect(extras).toHaveLength(1)
    expect(await live.page.evaluate(() => window.__csp)).toEqual([])
  })

  it('come from the live server\'s origin for a page on another origin', async () => {
    const { site, live, extras } = await open('/linked.html', { mode: 'cross-origin' })
    expect(site.page.liveOrigin).not.toBe(site.page.url)
    site.publish('error', { message: 'broken.css:1:1 Unknown word' })
    await live.waitForEvents('error', 1)
    expect(await overlayBackground(live)).toBe('rgb(24, 24, 24)')
    expect(extras.map(url => new URL(url).origin)).toEqual([site.page.liveOrigin])
    expect(site.page.count(EXTRAS)).toBe(0)
  })

  it('refresh an image on reloadAssets', async () => {
    const { site, live, extras } = await open('/image.html')
    const width = (): Promise<number> => live.page.evaluate(() => (document.querySelector('#i') as HTMLImageElement).naturalWidth)
    await expect.poll(width).toBe(10)
    await site.write('img/a.svg', '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"/>')
    site.publish('reloadAssets', { files: ['/img/a.svg'] })
    await expect.poll(width).toBe(20)
    expect(extras).toHaveLength(1)
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })

  it('swap the sheets of a shadow root and of a frame without a client', async () => {
    const { site, live, extras } = await open('/shadow-frame.html')
    await live.page.waitForFunction(() => (document.querySelector('#frame') as HTMLIFrameElement).contentDocument?.readyState === 'complete')
    await site.write('css/other.css', '#o { color: rgb(0, 0, 123); }')
    await site.write('css/frame.css', '#f { color: rgb(0, 0, 124); }')
    site.publish('reloadCSS', { files: ['/css/other.css', '/css/frame.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(await live.page.evaluate(() => [
      getComputedStyle(document.querySelector('#host')!.shadowRoot!.querySelector('#o')!).color,
      getComputedStyle((document.querySelector('#frame') as HTMLIFrameElement).contentDocument!.querySelector('#f')!).color,
    ])).toEqual(['rgb(0, 0, 123)', 'rgb(0, 0, 124)'])
    expect(extras).toHaveLength(1)
  })

  it('are inline in the ES module build: the overlay shows without a request', async () => {
    const { site, live, extras } = await open('/esm.html')
    site.publish('error', { message: 'broken.css:1:1 Unknown word' })
    await live.waitForEvents('error', 1)
    expect(await overlayBackground(live)).toBe('rgb(24, 24, 24)')
    expect(extras).toEqual([])
  })

  it('that fail to load still leave the error reported, with a warning that says why', async () => {
    const { site, live } = await open('/linked.html')
    site.page.route((_req, res, url) => {
      if (url.pathname !== EXTRAS)
        return false
      res.writeHead(404).end()
      return true
    })
    site.publish('error', { message: 'broken.css:1:1 Unknown word' })
    await live.waitForEvents('error', 1)
    expect(live.console.some(line => line.includes(`could not load ${site.page.url}${EXTRAS}`))).toBe(true)
    expect(await live.page.evaluate(() => !!document.querySelector('live-assets-overlay'))).toBe(false)
  })
})
