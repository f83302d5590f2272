import type { Site } from '../utils/site'
import { describe, expect, it } from 'vitest'
import { useSites } from '../utils/site'

declare global {
  interface Window {
    /** `securitypolicyviolation` events of the page: `<directive> <blocked URL>`. */
    __csp: string[]
  }
}

const sites = useSites('csp')
const NONCE = 'la-test-nonce-5f3a'

const PAGE = `<!doctype html>
<html>
<head>
  <meta charset="utf-8">
  <title>strict CSP</title>
  <link rel="stylesheet" href="/css/base.css" nonce="${NONCE}">
  <link rel="stylesheet" href="/css/other.css" nonce="${NONCE}">
  <script nonce="${NONCE}" src="/__live_assets/client.js"></script>
</head>
<body>
  <div id="s">sentinel</div>
  <div id="o">other</div>
</body>
</html>`

/** Serves PAGE at /csp.html under `policy`. */
function servePage(policy: string): (site: Site) => void {
  return site => void site.page.route((_req, res, url) => {
    if (url.pathname !== '/csp.html')
      return false
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': policy }).end(PAGE)
    return true
  })
}

const STRICT = `default-src 'none'; script-src 'nonce-${NONCE}'; style-src 'nonce-${NONCE}'; connect-src 'self'; img-src 'self'`

async function open(policy: string): Promise<Awaited<ReturnType<typeof sites.open>>> {
  return sites.open('/csp.html', {
    before: servePage(policy),
    live: { client: { debug: true } },
    page: {
      beforeLoad: page => page.addInitScript(() => {
        window.__csp = []
        document.addEventListener('securitypolicyviolation', event => window.__csp.push(`${event.effectiveDirective} ${event.blockedURI}`))
      }),
    },
  })
}

describe('under a strict Content-Security-Policy with a nonce', () => {
  it('connects, swaps and shows a styled overlay without a single violation (worker-src \'self\')', async () => {
    const { site, live } = await open(`${STRICT}; worker-src 'self'`)
    expect(live.console.some(line => line.includes('through a shared worker'))).toBe(true)

    await site.write('css/other.css', '#o { color: rgb(0, 0, 121); }')
    site.publish('reloadCSS', { files: ['/css/other.css'] })
    await expect.poll(() => live.style('#o', 'color')).toBe('rgb(0, 0, 121)')
    // The clone carries the original's nonce, or the new sheet would be blocked and the swap would fail.
    expect(await live.events('error')).toEqual([])

    site.publish('error', { message: 'broken.css:1:1 Unknown word' })
    await live.waitForEvents('error', 1)
    const box = (): Promise<string> => live.page.evaluate(() =>
      getComputedStyle(document.querySelector('live-assets-overlay')!.shadowRoot!.querySelector('div')!).backgroundColor)
    expect(await box()).toBe('rgb(24, 24, 24)')
    expect(await live.page.evaluate(() => window.__csp)).toEqual([])
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })

  it('still works when the policy forbids the shared worker: the tabs elect a leader', async () => {
    const { site, live } = await open(STRICT)
    await site.write('css/other.css', '#o { color: rgb(0, 0, 122); }')
    site.publish('reloadCSS', { files: ['/css/other.css'] })
    await expect.poll(() => live.style('#o', 'color')).toBe('rgb(0, 0, 122)')
    expect(live.console.some(line => line.includes('leading: this tab holds the connection'))).toBe(true)
    expect(site.handler.broadcaster.stats().subscribers).toBe(1)
    // The violations are the two workers the policy forbids, the shared one and the leader's stream worker (which it
    // then opens itself, once); nothing else was blocked.
    expect(await live.page.evaluate(() => window.__csp)).toEqual([
      expect.stringMatching(/^(worker|script)-src .*\/__live_assets\/client\.js$/),
      expect.stringMatching(/^(worker|script)-src blob/),
    ])
  })
})
