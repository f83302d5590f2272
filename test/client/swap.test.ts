import type { LivePage } from '../utils/live-page'
import type { OpenOptions, Site } from '../utils/site'
import { describe, expect, it } from 'vitest'
import { sampleFrames } from '../utils/live-page'
import { useSites } from '../utils/site'

const sites = useSites('swap')
let site: Site
let live: LivePage

async function open(path = '/index.html', options?: OpenOptions): Promise<LivePage> {
  ({ site, live } = await sites.open(path, options))
  return live
}

function linkHrefs(page: LivePage): Promise<string[]> {
  return page.page.evaluate(() => [...document.querySelectorAll('link')].map(l => l.getAttribute('href')!))
}

describe('swapping stylesheets', () => {
  it('re-fetches only the changed sheet, without reloading the page', async () => {
    await open()
    await site.write('css/other.css', '#o { color: rgb(0, 0, 128); }')
    site.publish('reloadCSS', { files: ['/css/other.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(await live.style('#o', 'color')).toBe('rgb(0, 0, 128)')
    expect([site.refetches('/css/base.css'), site.refetches('/css/theme.css'), site.refetches('/css/other.css')]).toEqual([0, 0, 1])
    expect([site.page.count('/css/base.css'), site.page.count('/css/theme.css')]).toEqual([1, 1])
    expect(await live.events('before-swap')).toEqual([{ files: ['/css/other.css'] }])
    expect((await live.events('after-swap'))[0]).toEqual({ files: [`${site.page.url}/css/other.css`], durationMs: expect.any(Number) })
    // One line per swap, nothing else without `debug`.
    expect(live.console.filter(line => line.startsWith('[live-assets]'))).toEqual([expect.stringMatching(/^\[live-assets\] swapped other\.css in \d+ ms$/)])
    expect(site.page.count('/index.html')).toBe(1)
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })

  it('keeps the cascade order: a later sheet still wins', async () => {
    await open()
    // base.css comes first; theme.css (later) sets the color, so base's new color must lose.
    await site.write('css/base.css', '#s { color: rgb(0, 255, 0); background-color: rgb(2, 2, 2); }')
    site.publish('reloadCSS', { files: ['/css/base.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(await live.style('#s', 'background-color')).toBe('rgb(2, 2, 2)')
    expect(await live.style('#s', 'color')).toBe('rgb(0, 0, 255)')
    expect((await linkHrefs(live)).map(href => href.split('?')[0])).toEqual(['/css/base.css', '/css/theme.css', '/css/other.css'])
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })

  it('never paints a frame without the old or the new styles', async () => {
    await open()
    live.timed = false
    site.page.slow('/css/base.css', 300)
    await sampleFrames(live.page, ['#s'], 'background-color')
    await site.write('css/base.css', '#s { color: rgb(255, 0, 0); background-color: rgb(3, 3, 3); }')
    site.publish('reloadCSS', { files: ['/css/base.css'] })
    await live.waitForEvents('after-swap', 1)
    // A few more frames after the switch.
    const count = await live.page.evaluate(() => window.__frames.length)
    await live.page.waitForFunction(n => window.__frames.length > n + 3, count)
    const frames = (await live.page.evaluate(() => window.__frames)).map(f => f[0])
    expect(frames.length).toBeGreaterThan(10)
    expect(new Set(frames)).toEqual(new Set(['rgb(1, 1, 1)', 'rgb(3, 3, 3)']))
    // Old, old, ..., new, new: never back.
    const switchAt = frames.indexOf('rgb(3, 3, 3)')
    expect(frames.slice(switchAt).every(f => f === 'rgb(3, 3, 3)')).toBe(true)
    expect(switchAt).toBeGreaterThan(5)
  })

  it('switches several sheets of one event in the same frame', async () => {
    await open('/atomic.html')
    live.timed = false
    site.page.slow('/css/a.css', 20)
    site.page.slow('/css/b.css', 400)
    await sampleFrames(live.page, ['#a', '#b'], 'color')
    await site.write('css/a.css', '#a { color: rgb(11, 11, 11); }')
    await site.write('css/b.css', '#b { color: rgb(21, 21, 21); }')
    site.publish('reloadCSS', { files: ['/css/a.css', '/css/b.css'] })
    await live.waitForEvents('after-swap', 1)
    const count = await live.page.evaluate(() => window.__frames.length)
    await live.page.waitForFunction(n => window.__frames.length > n + 3, count)
    const frames = (await live.page.evaluate(() => window.__frames)).map(f => f.join(' / '))
    expect(new Set(frames)).toEqual(new Set(['rgb(10, 10, 10) / rgb(20, 20, 20)', 'rgb(11, 11, 11) / rgb(21, 21, 21)']))
    expect((await live.events('after-swap'))[0].files).toHaveLength(2)
    expect(live.console.filter(line => line.includes('swapped'))).toEqual([expect.stringMatching(/swapped a\.css, b\.css in \d+ ms/)])
  })

  it('shows the one sheet of an event as soon as the browser has parsed it, before its load event', async () => {
    await open()
    // The colour as the clone's load event reaches the document, before any listener on the clone runs.
    await live.page.evaluate(() => {
      const seen: string[] = (window as unknown as { __atLoad: string[] }).__atLoad = []
      document.addEventListener('load', (event) => {
        if ((event.target as Element).localName === 'link')
          seen.push(getComputedStyle(document.querySelector('#s')!).backgroundColor)
      }, true)
    })
    await site.write('css/base.css', '#s { background-color: rgb(6, 6, 6); }')
    site.publish('reloadCSS', { files: ['/css/base.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(await live.page.evaluate(() => (window as unknown as { __atLoad: string[] }).__atLoad)).toEqual(['rgb(6, 6, 6)'])
    expect(await live.page.evaluate(() => document.querySelector('link')!.hasAttribute('media'))).toBe(false)
  })

  it('keeps the other query parameters and the hash, with a fresh token every time', async () => {
    await open()
    const tokens: string[] = []
    for (let i = 1; i <= 2; i++) {
      site.publish('reloadCSS', { files: ['/css/theme.css'] })
      await live.waitForEvents('after-swap', i)
      const href = (await linkHrefs(live))[1]
      const url = new URL(href, site.page.url)
      expect(url.pathname).toBe('/css/theme.css')
      expect(href).toMatch(/^\/css\/theme\.css\?v=3&theme=dark&la=[\w-]+#frag$/)
      tokens.push(url.searchParams.get('la')!)
    }
    // A new page load must not reuse a token: the old URL would come from the HTTP cache.
    await live.page.reload()
    await live.page.waitForFunction(() => window.__la.some(e => e.name === 'connect'))
    await site.write('css/theme.css', '#s { color: rgb(9, 9, 9); }')
    site.publish('reloadCSS', { files: ['/css/theme.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(await live.style('#s', 'color')).toBe('rgb(9, 9, 9)')
    tokens.push(new URL((await linkHrefs(live))[1], site.page.url).searchParams.get('la')!)
    expect(new Set(tokens).size).toBe(3)
    expect(site.refetches('/css/theme.css')).toBe(3)
  })

  for (const status of [404, 500]) {
    it(`keeps the old styles and shows the overlay when the new sheet answers ${status}`, async () => {
      await open()
      const unroute = site.page.route((_req, res, url) => {
        if (url.pathname !== '/css/base.css' || !url.searchParams.has('la'))
          return false
        res.writeHead(status, { 'Content-Type': 'text/plain' }).end('broken')
        return true
      })
      await site.write('css/base.css', '#s { background-color: rgb(4, 4, 4); }')
      site.publish('reloadCSS', { files: ['/css/base.css'] })
      await live.waitForEvents('error', 1)
      expect(await live.style('#s', 'background-color')).toBe('rgb(1, 1, 1)')
      expect((await live.events('error'))[0].message).toMatch(/could not load .*\/css\/base\.css: keeping the previous styles/)
      expect(await live.page.evaluate(() => document.querySelector('live-assets-overlay')?.shadowRoot?.textContent)).toContain('/css/base.css')
      expect(await linkHrefs(live)).toEqual(['/css/base.css', '/css/theme.css?v=3&theme=dark#frag', '/css/other.css'])
      expect(await live.events('after-swap')).toEqual([])
      // Once the server is healthy again the next event swaps and clears the overlay.
      unroute()
      site.publish('reloadCSS', { files: ['/css/base.css'] })
      await live.waitForEvents('after-swap', 1)
      expect(await live.style('#s', 'background-color')).toBe('rgb(4, 4, 4)')
      expect(await live.page.evaluate(() => document.querySelectorAll('live-assets-overlay').length)).toBe(0)
    })
  }

  it('keeps the link count stable over 1000 swaps that supersede each other', async () => {
    await open()
    live.timed = false
    const before = await live.page.evaluate(() => document.querySelectorAll('link, style').length)
    for (let i = 0; i < 1000; i++) {
      site.publish('reloadCSS', { files: [i % 3 ? '/css/base.css' : '/css/other.css'] })
      // Let some swaps finish between bursts, so both paths (superseded, completed) are exercised.
      if (i % 50 === 49)
        await new Promise(resolve => setTimeout(resolve, 15))
    }
    await site.write('css/base.css', '#s { background-color: rgb(5, 5, 5); }')
    site.publish('reloadCSS', { files: ['/css/base.css'] })
    await live.page.waitForFunction(() => getComputedStyle(document.querySelector('#s')!).backgroundColor === 'rgb(5, 5, 5)', undefined, { timeout: 20_000 })
    // No clone left hidden (a switched clone keeps its `media` attribute and gets its sheet's media instead).
    await expect.poll(() => live.page.evaluate(() => [...document.styleSheets].filter(sheet => sheet.media.mediaText === 'not all').length)).toBe(0)
    expect(await live.page.evaluate(() => document.querySelectorAll('link, style').length)).toBe(before)
    expect((await linkHrefs(live)).map(href => href.split('?')[0])).toEqual(['/css/base.css', '/css/theme.css', '/css/other.css'])
    const swaps = await live.events('after-swap')
    console.log(`[live-assets] 1000 superseding events: ${swaps.length} swaps completed, ${site.refetches('/css/base.css') + site.refetches('/css/other.css')} re-fetches started, last swap ${swaps.at(-1).durationMs} ms`)
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })
})
