import type { Page } from 'playwright-core'
import type { LivePage } from '../utils/live-page'
import type { Site } from '../utils/site'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { sampleFrames } from '../utils/live-page'
import { useSites } from '../utils/site'

declare global {
  interface Window {
    /** shadow.html's CSS module script, adopted by the document and two shadow roots. */
    __adopted: CSSStyleSheet
    /** shadow.html's hand-made constructed sheet. */
    __made: CSSStyleSheet
  }
}

const sites = useSites('shadow')
let site: Site
let live: LivePage

/** The client's ES module build, read once: shadow.html imports `trackSheet` from it. */
let esmClient: Promise<string> | undefined

async function open(): Promise<void> {
  ({ site, live } = await sites.open('/shadow.html', {
    before: ({ page }) => void page.route(async (_req, res, url) => {
      if (url.pathname !== '/client.mjs')
        return false
      esmClient ??= readFile(createRequire(import.meta.url).resolve('@live-assets/client'), 'utf8')
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(await esmClient)
      return true
    }),
  }))
  await live.page.waitForFunction(() => window.__made)
}

/** A path of selectors, each but the last naming a shadow host: `['#one', 'x-inner', '#n']`. */
type ShadowPath = string[]

function styleAt(page: Page, path: ShadowPath, property: string): Promise<string> {
  return page.evaluate(([path, property]) => {
    let root: Document | ShadowRoot = document
    for (const host of path.slice(0, -1))
      root = root.querySelector(host)!.shadowRoot!
    return getComputedStyle(root.querySelector(path.at(-1)!)!).getPropertyValue(property)
  }, [path, property] as const)
}

/** `getAttribute(attribute)` of every `selector` in the shadow root of `host` (a path too). */
function inShadow(page: Page, host: ShadowPath, selector: string, attribute: string): Promise<(string | null)[]> {
  return page.evaluate(([host, selector, attribute]) => {
    let root: Document | ShadowRoot = document
    for (const h of host)
      root = root.querySelector(h)!.shadowRoot!
    return [...root.querySelectorAll(selector)].map(el => el.getAttribute(attribute))
  }, [host, selector, attribute] as const)
}

const ADOPTERS: ShadowPath[] = [['.a'], ['#one', '.a'], ['#one', 'x-inner', '.a']]

function adoptedColors(): Promise<string[]> {
  return Promise.all(ADOPTERS.map(path => styleAt(live.page, path, 'color')))
}

describe('stylesheets in open shadow roots', () => {
  it('swaps a <link> inside its shadow root, keeping its place in the cascade, and re-fetches only it', async () => {
    await open()
    // card.css comes first; card-late.css sets the color, so card's new color must lose.
    await site.write('css/shadow/card.css', '#p { color: rgb(0, 255, 0); background-color: rgb(60, 60, 60); }')
    site.publish('reloadCSS', { files: ['/css/shadow/card.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(await styleAt(live.page, ['#one', '#p'], 'background-color')).toBe('rgb(60, 60, 60)')
    expect(await styleAt(live.page, ['#one', '#p'], 'color')).toBe('rgb(51, 0, 0)')
    const hrefs = await inShadow(live.page, ['#one'], 'link', 'href')
    expect(hrefs.map(href => href!.split('?')[0])).toEqual(['/css/shadow/card.css', '/css/shadow/card-late.css'])
    expect(hrefs[0]).toMatch(/\?la=[\w-]+$/)
    expect(await live.page.evaluate(() => document.querySelectorAll('link').length)).toBe(1)
    expect(['card.css', 'card-late.css', 'nested.css', 'adopted.css', 'made.css'].map(f => site.refetches(`/css/shadow/${f}`))).toEqual([1, 0, 0, 0, 0])
    expect(site.refetches('/css/base.css')).toBe(0)
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })

  it('refreshes a shadow root\'s <style> that @imports a changed partial, keeping its other rules', async () => {
    await open()
    await site.write('css/shadow/partial.css', '#q { color: rgb(62, 0, 0); }')
    site.publish('reloadCSS', { files: ['/css/shadow/partial.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(await styleAt(live.page, ['#one', '#q'], 'color')).toBe('rgb(62, 0, 0)')
    expect(await styleAt(live.page, ['#one', '#plain'], 'color')).toBe('rgb(57, 0, 0)')
    expect((await inShadow(live.page, ['#one'], 'style', 'media'))).toHaveLength(1)
    expect((await live.events('after-swap'))[0].files).toEqual([`${site.page.url}/css/shadow/partial.css`])
  })

  it('swaps a <link> in a nested shadow root', async () => {
    await open()
    await site.write('css/shadow/nested.css', '#n { color: rgb(63, 0, 0); }')
    site.publish('reloadCSS', { files: ['/css/shadow/nested.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(await styleAt(live.page, ['#one', 'x-inner', '#n'], 'color')).toBe('rgb(63, 0, 0)')
    expect(await inShadow(live.page, ['#one', 'x-inner'], 'link', 'href')).toEqual([expect.stringMatching(/^\/css\/shadow\/nested\.css\?la=/)])
    expect(site.refetches('/css/shadow/card.css')).toBe(0)
  })
})

describe('constructed stylesheets (adoptedStyleSheets)', () => {
  it('updates a shared sheet in place: the same object, every adopter at once, relative url()s unchanged', async () => {
    await open()
    const dot = `url("${site.page.url}/css/shadow/img/dot.png")`
    expect(await adoptedColors()).toEqual(Array.from(ADOPTERS, () => 'rgb(54, 0, 0)'))
    expect(await styleAt(live.page, ['#one', '.a'], 'background-image')).toBe(dot)

    await site.write('css/shadow/adopted.css', '.a { color: rgb(64, 0, 0); background-image: url(img/dot.png); }')
    site.publish('reloadCSS', { files: ['/css/shadow/adopted.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(await adoptedColors()).toEqual(Array.from(ADOPTERS, () => 'rgb(64, 0, 0)'))
    // A CSS module's base URL is its own: `replace` keeps it.
    expect(await styleAt(live.page, ['#one', 'x-inner', '.a'], 'background-image')).toBe(dot)
    expect(await live.page.evaluate(() => {
      const one = document.querySelector('#one')!.shadowRoot!
      const inner = one.querySelector('x-inner')!.shadowRoot!
      return [document, one, inner].map(root => root.adoptedStyleSheets[0] === window.__adopted)
    })).toEqual([true, true, true])
    expect(site.refetches('/css/shadow/adopted.css')).toBe(1)
    expect((await live.events('after-swap'))[0].files).toEqual([`${site.page.url}/css/shadow/adopted.css`])

    // The one-liner for pages without the ES module: a relative URL, set by hand.
    await site.write('css/shadow/made.css', '#m { color: rgb(65, 0, 0); }')
    site.publish('reloadCSS', { files: ['/css/shadow/made.css'] })
    await live.waitForEvents('after-swap', 2)
    expect(await styleAt(live.page, ['#one', '#m'], 'color')).toBe('rgb(65, 0, 0)')
    expect(await live.page.evaluate(() => document.querySelector('#one')!.shadowRoot!.adoptedStyleSheets[1] === window.__made)).toBe(true)
    expect(site.refetches('/css/shadow/adopted.css')).toBe(1)
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })

  it('keeps the old rules and reports when the new text fails to load', async () => {
    await open()
    const unroute = site.page.route((_req, res, url) => {
      if (url.pathname !== '/css/shadow/adopted.css' || !url.searchParams.has('la'))
        return false
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('#broken {}')
      return true
    })
    await site.write('css/shadow/adopted.css', '.a { color: rgb(66, 0, 0); }')
    site.publish('reloadCSS', { files: ['/css/shadow/adopted.css'] })
    await live.waitForEvents('error', 1)
    const [error] = await live.events('error')
    expect(error).toEqual({ message: expect.stringContaining('HTTP 500'), file: `${site.page.url}/css/shadow/adopted.css` })
    expect(await live.page.evaluate(() => window.__adopted.cssRules[0].cssText)).toContain('rgb(54, 0, 0)')
    expect(await adoptedColors()).toEqual(Array.from(ADOPTERS, () => 'rgb(54, 0, 0)'))
    expect(await live.events('after-swap')).toEqual([])
    expect(await live.page.evaluate(() => document.querySelector('live-assets-overlay') !== null)).toBe(true)

    // Nothing is left claimed: the next event for it goes through.
    unroute()
    site.publish('reloadCSS', { files: ['/css/shadow/adopted.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(await adoptedColors()).toEqual(Array.from(ADOPTERS, () => 'rgb(66, 0, 0)'))
  })

  it('switches a constructed sheet in the same frame as the <link>s of the same event', async () => {
    await open()
    live.timed = false
    site.page.slow('/css/shadow/card.css', 400)
    await sampleFrames(live.page, [['#one', '.a'], ['#one', '#p']], 'background-color')
    await site.write('css/shadow/adopted.css', '.a { background-color: rgb(67, 0, 0); }')
    await site.write('css/shadow/card.css', '#p { background-color: rgb(68, 0, 0); }')
    site.publish('reloadCSS', { files: ['/css/shadow/adopted.css', '/css/shadow/card.css'] })
    await live.waitForEvents('after-swap', 1)
    const count = await live.page.evaluate(() => window.__frames.length)
    await live.page.waitForFunction(n => window.__frames.length > n + 3, count)
    const frames = (await live.page.evaluate(() => window.__frames)).map(f => f.join(' / '))
    expect(new Set(frames)).toEqual(new Set(['rgba(0, 0, 0, 0) / rgb(50, 50, 50)', 'rgb(67, 0, 0) / rgb(68, 0, 0)']))
    expect((await live.events('after-swap'))[0].files).toHaveLength(2)
  })
})
