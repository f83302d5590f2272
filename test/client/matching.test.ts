import type { LivePage } from '../utils/live-page'
import type { OpenOptions, Site } from '../utils/site'
import { describe, expect, it } from 'vitest'
import { useSites } from '../utils/site'

const sites = useSites('matching')
let site: Site
let live: LivePage

async function open(path = '/index.html', options?: OpenOptions): Promise<LivePage> {
  ({ site, live } = await sites.open(path, options))
  return live
}

/** Every stylesheet request after the first load: initial loads are exactly one per sheet. */
function sheetCounts(...paths: string[]): number[] {
  return paths.map(path => site.page.count(path))
}

describe('matching changed files to stylesheets', () => {
  it('reloads the <link> that @imports a changed partial, even when the partial was cacheable', async () => {
    await open('/imports.html')
    await site.write('css/partials/colors.css', '#s { color: rgb(101, 0, 0); }')
    site.publish('reloadCSS', { files: ['/css/partials/colors.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(await live.style('#s', 'color')).toBe('rgb(101, 0, 0)')
    expect(site.refetches('/css/main.css')).toBe(1)
    expect(await live.page.evaluate(() => [document.querySelectorAll('link').length, document.querySelectorAll('style').length])).toEqual([1, 1])
    // The <style> block and its partial were left alone.
    expect(site.page.count('/css/partials/inline.css')).toBe(1)
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })

  it('refreshes a <style> block that @imports a changed partial, keeping its other rules', async () => {
    await open('/imports.html')
    await site.write('css/partials/inline.css', '#i { color: rgb(0, 101, 0); }')
    site.publish('reloadCSS', { files: ['/css/partials/inline.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(await live.style('#i', 'color')).toBe('rgb(0, 101, 0)')
    expect(await live.style('#plain', 'color')).toBe('rgb(7, 7, 7)')
    expect(site.refetches('/css/main.css')).toBe(0)
    expect(await live.page.evaluate(() => [document.querySelectorAll('link').length, document.querySelectorAll('style').length])).toEqual([1, 1])
    expect((await live.events('after-swap'))[0].files).toEqual([`${site.page.url}/css/partials/inline.css`])
  })

  it('points a renamed output at its new URL, behind a base path, keeping query and hash', async () => {
    await open('/renamed.html')
    await site.write('app/assets/app.9c1d.css', '#s { color: rgb(31, 31, 31); }')
    site.publish('reloadCSS', {
      files: ['/assets/app.9c1d.css'],
      renamed: [{ from: '/assets/app.3f2a.css', to: '/assets/app.9c1d.css' }],
    })
    await live.waitForEvents('after-swap', 1)
    expect(await live.style('#s', 'color')).toBe('rgb(31, 31, 31)')
    const hrefs = await live.page.evaluate(() => [...document.querySelectorAll('link')].map(l => l.getAttribute('href')))
    expect(hrefs).toEqual([expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/app\/assets\/app\.9c1d\.css\?v=1&la=[\w-]+#top$/)])
    expect(site.page.count('/app/assets/app.3f2a.css')).toBe(1)
  })

  it('never touches a data-no-reload link, and does not fall back because of it', async () => {
    await open('/no-reload.html')
    site.publish('reloadCSS', { files: ['/css/other.css'] })
    // An empty list reloads every other sheet; a later marker proves the first event was handled.
    site.publish('reloadCSS', { files: [] })
    await live.waitForEvents('after-swap', 1)
    expect(site.refetches('/css/base.css')).toBe(1)
    expect(sheetCounts('/css/other.css')).toEqual([1])
    expect((await live.events('after-swap')).map(d => d.files)).toEqual([[`${site.page.url}/css/base.css`]])
    expect(await live.page.evaluate(() => document.querySelector('link[data-no-reload]')!.getAttribute('href'))).toBe('/css/other.css')
  })

  it('ignores absolute URLs on other origins and javascript: URLs', async () => {
    await open('/index.html')
    site.publish('reloadCSS', { files: ['http://elsewhere.test/css/base.css', 'javascript:alert(1)//base.css'] })
    site.publish('reloadCSS', { files: [`${site.page.url}/css/other.css`] })
    await live.waitForEvents('after-swap', 1)
    expect((await live.events('after-swap')).map(d => d.files)).toEqual([[`${site.page.url}/css/other.css`]])
    expect([site.refetches('/css/base.css'), site.refetches('/css/theme.css')]).toEqual([0, 0])
  })

  describe('when nothing matches', () => {
    it('reloads every stylesheet by default (fallback: stylesheets)', async () => {
      await open('/index.html')
      site.publish('reloadCSS', { files: ['/css/missing.css'] })
      await live.waitForEvents('after-swap', 1)
      expect([site.refetches('/css/base.css'), site.refetches('/css/theme.css'), site.refetches('/css/other.css')]).toEqual([1, 1, 1])
      expect(live.console).toContain(`[live-assets] no stylesheet on this page matches missing.css (fallback: 'stylesheets')`)
      expect(await live.sentinel()).toBe(live.firstSentinel)
    })

    it('reloads the page with fallback: page', async () => {
      await open('/index.html', { live: { client: { fallback: 'page' } } })
      site.publish('reloadCSS', { files: ['/css/missing.css'] })
      await expect.poll(() => site.page.count('/index.html')).toBe(2)
      await live.page.waitForFunction(() => window.__la.some(e => e.name === 'connect'))
      expect(await live.sentinel()).not.toBe(live.firstSentinel)
      expect(site.refetches('/css/base.css')).toBe(0)
      expect(live.console).toContain(`[live-assets] no stylesheet on this page matches missing.css (fallback: 'page')`)
    })

    it('does nothing with fallback: none', async () => {
      await open('/index.html', { live: { client: { fallback: 'none' } } })
      site.publish('reloadCSS', { files: ['/css/missing.css'] })
      site.publish('reloadCSS', { files: ['/css/other.css'] })
      await live.waitForEvents('after-swap', 1)
      expect([site.refetches('/css/base.css'), site.refetches('/css/theme.css'), site.refetches('/css/other.css')]).toEqual([0, 0, 1])
      expect(live.console).toContain(`[live-assets] no stylesheet on this page matches missing.css (fallback: 'none')`)
      expect(await live.sentinel()).toBe(live.firstSentinel)
    })
  })
})
