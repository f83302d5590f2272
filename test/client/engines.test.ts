/**
 * The cross-engine part of the suite: what a user sees, in Chromium, Firefox and WebKit, through
 * one driver layer (test/utils/engines.ts). `LIVE_ASSETS_ENGINES=firefox` runs one engine.
 */
import type { Engine, Tab } from '../utils/engines'
import type { Site, SiteOptions } from '../utils/site'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { engineNames, launch } from '../utils/engines'
import { imagePlaces, recorderScript, recordFrames } from '../utils/probes'
import { startSite } from '../utils/site'

declare global {
  interface Window {
    /** Set by a test: still there after "back" only if the page came from the back/forward cache. */
    __kept?: number
  }
}

const startedAt = Date.now()

describe.each(engineNames)('in %s', (name) => {
  let engine: Engine
  let site: Site | undefined
  beforeAll(async () => {
    engine = await launch(name)
    console.log(`[live-assets] engines: ${engine.version}`)
  })
  afterEach(async () => {
    await engine.reset()
    await site?.close()
    site = undefined
  })
  afterAll(async () => {
    await engine?.close()
    console.log(`[live-assets] engines: ${engineNames.slice(0, engineNames.indexOf(name) + 1).join(', ')} done after ${Math.round((Date.now() - startedAt) / 1000)} s`)
  })

  const connected = (tab: Tab, count = 1): Promise<unknown> =>
    tab.until(n => window.__la.filter(e => e.name === 'connect').length >= n, count)
  async function open(path: string, options: SiteOptions = {}): Promise<Tab> {
    site ??= await startSite({ ...options, pages: { head: recorderScript, ...options.pages } })
    const tab = await engine.open(site.url(path))
    await connected(tab)
    return tab
  }
  const color = (tab: Tab, selector: string, property = 'color'): Promise<string> =>
    tab.run(([s, p]) => getComputedStyle(document.querySelector(s)!).getPropertyValue(p), [selector, property])
  const showsColor = (tab: Tab, selector: string, value: string): Promise<unknown> =>
    tab.until(([s, v]) => getComputedStyle(document.querySelector(s)!).color === v, [selector, value])
  async function edit(path: string, css: string): Promise<void> {
    await site!.write(path, css)
    site!.publish('reloadCSS', { files: [`/${path}`] })
  }
  /** Console errors and warnings and uncaught errors of the page, except the lines the test expects. */
  async function expectNoProblems(tab: Tab, expected?: RegExp): Promise<void> {
    const problems = await tab.run(() => window.__problems)
    expect(problems.filter(line => !expected?.test(line))).toEqual([])
  }
  const sentinel = (tab: Tab): Promise<number> => tab.run(() => window.__sentinel)

  /** Leaves for another page, edits, comes back; true when the page came from the back/forward cache. */
  async function away(tab: Tab, value: string): Promise<boolean> {
    await tab.run(() => window.__kept = 1)
    await tab.goto(site!.url('/plain.html'))
    await edit('css/other.css', `#o { color: ${value}; }`)
    await tab.run(() => void setTimeout(() => history.back()))
    await tab.until(() => location.pathname === '/index.html' && document.readyState === 'complete' && !!window.__la)
    await showsColor(tab, '#o', value)
    return await tab.run(() => window.__kept === 1)
  }

  it('swaps a sheet without a flash or a reload, and fetches it once, other sheets never', async () => {
    // Sheets that must be revalidated (what Vite and most dev servers send): an engine that fetches the clone twice shows it.
    const tab = await open('/index.html', { pages: { cache: { assets: 'no-cache' } } })
    const first = await sentinel(tab)
    site!.page.slow('/css/base.css', 200)
    await tab.run(recordFrames, [['#s'], 'background-color'] as const)
    await edit('css/base.css', '#s { color: rgb(255, 0, 0); background-color: rgb(3, 3, 3); }')
    await tab.until(() => window.__la.some(e => e.name === 'after-swap'))
    const count = await tab.run(() => window.__frames.length)
    await tab.until(n => window.__frames.length > n + 3, count)
    const frames = (await tab.run(() => window.__frames)).map(f => f[0])
    expect(new Set(frames)).toEqual(new Set(['rgb(1, 1, 1)', 'rgb(3, 3, 3)']))
    expect(frames.slice(frames.indexOf('rgb(3, 3, 3)')).every(f => f === 'rgb(3, 3, 3)')).toBe(true)
    expect([site!.refetches('/css/base.css'), site!.refetches('/css/theme.css'), site!.refetches('/css/other.css')]).toEqual([1, 0, 0])
    expect(site!.page.count('/css/base.css')).toBe(2)
    expect(site!.page.count('/index.html')).toBe(1)
    expect(await sentinel(tab)).toBe(first)
    await expectNoProblems(tab)
  })

  it('restyles an edited @import partial, of a <link> and of a <style> block', async () => {
    const tab = await open('/imports.html')
    await edit('css/partials/colors.css', '#s { color: rgb(0, 0, 201); }')
    await showsColor(tab, '#s', 'rgb(0, 0, 201)')
    await edit('css/partials/inline.css', '#i { color: rgb(0, 0, 202); }')
    await showsColor(tab, '#i', 'rgb(0, 0, 202)')
    expect(await color(tab, '#plain')).toBe('rgb(7, 7, 7)')
    // Twice: the second edit of the same partial must not find the first one's copy.
    await edit('css/partials/colors.css', '#s { color: rgb(0, 0, 203); }')
    await showsColor(tab, '#s', 'rgb(0, 0, 203)')
    expect(site!.page.count('/imports.html')).toBe(1)
    await expectNoProblems(tab)
  })

  it('shows the overlay on a build error and removes it when fixed', async () => {
    const tab = await open('/index.html')
    site!.publish('error', { message: 'Unknown word', file: '/src/app.css', line: 3, column: 7 })
    const text = await tab.until(() => document.querySelector('live-assets-overlay')?.shadowRoot?.textContent)
    expect(text).toContain('/src/app.css:3:7')
    expect(text).toContain('Unknown word')
    site!.publish('clearError', {})
    await tab.until(() => !document.querySelector('live-assets-overlay'))
    await expectNoProblems(tab, /^console\.error: \[live-assets\] Unknown word$/)
  })

  it('shows a changed image wherever it is used', async () => {
    const tab = await open('/images.html', { mode: 'cross-origin', watch: { paths: ['img'], root: '.' } })
    await tab.until(() => (document.querySelector('#frame') as HTMLIFrameElement).contentDocument?.readyState === 'complete')
    await tab.until(() => (document.querySelector('#plain') as HTMLImageElement).naturalWidth === 10)
    await site!.write('img/a.svg', '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><rect width="100%" height="100%"/></svg>')
    await tab.until(() => (document.querySelector('#plain') as HTMLImageElement).naturalWidth === 20)
    expect(await tab.run(imagePlaces)).toMatchObject({ 'set': 20, 'pic': 20, 'in-shadow': 20, 'in-frame': 20, 'bg': expect.stringMatching(/a\.svg\?la=/), 'unrelated': 12 })
    await expectNoProblems(tab)
  })

  it('shares one stream between two tabs, the owner in the background, through a server restart', async () => {
    // Another origin for the server: no shared worker, the tabs elect a leader (the first tab).
    const owner = await open('/index.html', { mode: 'cross-origin' })
    const other = await engine.open(site!.url('/index.html'))
    await connected(other)
    await owner.hide()
    await owner.until(() => document.hidden)
    expect(await other.run(() => document.hidden)).toBe(false)
    expect(site!.handler.broadcaster.stats().subscribers).toBe(1)

    await site!.stopLive()
    await site!.write('css/other.css', '#o { color: rgb(0, 0, 150); }')
    await site!.startLive()
    // The new server has never seen the edit: the client's catch-up after a restart is a refresh of every sheet.
    await showsColor(other, '#o', 'rgb(0, 0, 150)')
    await showsColor(owner, '#o', 'rgb(0, 0, 150)')
    expect(site!.handler.broadcaster.stats().subscribers).toBe(1)
    await edit('css/other.css', '#o { color: rgb(0, 0, 151); }')
    await showsColor(other, '#o', 'rgb(0, 0, 151)')
    for (const tab of [owner, other])
      await expectNoProblems(tab)
  })

  it('comes back from another page with the edits made while away', async () => {
    // Two tabs on another origin: the first leads (it holds the lock and the stream), the second follows. Firefox
    // keeps no page served with `no-store` in its back/forward cache.
    const leader = await open('/index.html', { mode: 'cross-origin', pages: { cache: { pages: 'no-cache' } } })
    const follower = await engine.open(site!.url('/index.html'))
    await connected(follower)
    // A follower lets go of its place in the lock queue on `beforeunload`, in time for Firefox.
    expect(await away(follower, 'rgb(0, 0, 111)')).toBe(true)
    // Firefox keeps a page that has had an EventSource of its own out of the cache: the leader's is a worker's.
    expect(await away(leader, 'rgb(0, 0, 112)')).toBe(true)
    await showsColor(follower, '#o', 'rgb(0, 0, 112)')
    await edit('css/other.css', '#o { color: rgb(0, 0, 113); }')
    for (const tab of [leader, follower]) {
      await showsColor(tab, '#o', 'rgb(0, 0, 113)')
      await expectNoProblems(tab)
    }
    expect(site!.handler.broadcaster.stats().subscribers).toBe(1)
  })

  it('comes back from the back/forward cache without errors where there is no beforeunload (Safari on iOS)', async () => {
    // The stream is then closed in `pagehide` only; WebKit fires `error` on it when the page comes back. The Web
    // Lock is then let go too late for Firefox, which keeps the page out of its cache.
    const tab = await open('/index.html', { mode: 'cross-origin', pages: { cache: { pages: 'no-cache' }, head: `${recorderScript};addEventListener('beforeunload', event => event.stopImmediatePropagation())` } })
    expect(await away(tab, 'rgb(0, 0, 114)')).toBe(name !== 'firefox')
    await edit('css/other.css', '#o { color: rgb(0, 0, 115); }')
    await showsColor(tab, '#o', 'rgb(0, 0, 115)')
    await expectNoProblems(tab)
  })

  it('opens the stream itself where the page\'s policy forbids workers', async () => {
    // No shared worker (another origin) and no stream worker (`worker-src 'none'`): the tab's own EventSource.
    const tab = await open('/index.html', { mode: 'cross-origin', pages: { headers: { 'Content-Security-Policy': 'worker-src \'none\'' } } })
    await edit('css/other.css', '#o { color: rgb(0, 0, 116); }')
    await showsColor(tab, '#o', 'rgb(0, 0, 116)')
    expect(site!.handler.broadcaster.stats().subscribers).toBe(1)
    await expectNoProblems(tab)
  })
})
