import type { Page } from 'playwright-core'
import type { LivePage } from '../utils/live-page'
import type { Site } from '../utils/site'
import { describe, expect, it } from 'vitest'
import { imagePlaces } from '../utils/probes'
import { useSites } from '../utils/site'

const sites = useSites('assets')
let site: Site
let live: LivePage

/** images.html on a page server, with a standalone live server that watches the temp copy. */
async function open(paths: string[], reload: string[] = []): Promise<void> {
  ({ site, live } = await sites.open('/images.html', { mode: 'cross-origin', watch: { paths, root: '.', reload } }))
  await live.page.waitForFunction(() => (document.querySelector('#frame') as HTMLIFrameElement).contentDocument?.readyState === 'complete')
}

function svg(size: number, color = 'black'): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="100%" height="100%" fill="${color}"/></svg>`
}

function places(page: Page): Promise<Record<string, string | number>> {
  return page.evaluate(imagePlaces)
}

const BUSTED = /\/img\/a\.svg\?la=[\w-]+/

describe('live images', () => {
  it('shows a changed image everywhere it is used, without a reload, and leaves other images alone', async () => {
    await open(['img', 'other'])
    await expect.poll(() => places(live.page)).toMatchObject({ 'plain': 10, 'in-frame': 10, 'unrelated': 12, 'same-name': 14 })
    expect(await places(live.page)).toMatchObject({ 'set': 10, 'pic': 10, 'in-shadow': 10, 'bg': 'url("/img/a.svg")', 'svg-image': '/img/a.svg' })

    const writtenAt = Date.now()
    await site.write('img/a.svg', svg(20))
    await expect.poll(() => places(live.page), { timeout: 5000, interval: 5 }).toMatchObject({ 'plain': 20, 'in-shadow': 20, 'in-frame': 20 })
    console.log(`[live-assets] assets: the new image showed ${Date.now() - writtenAt} ms after the write`)
    await expect.poll(() => places(live.page)).toEqual({
      'plain': 20,
      'set': 20,
      'pic': 20,
      'in-shadow': 20,
      'in-frame': 20,
      'bg': expect.stringMatching(BUSTED),
      'bg-imported': expect.stringMatching(BUSTED),
      'inline': expect.stringMatching(BUSTED),
      'in-style': expect.stringMatching(BUSTED),
      'in-adopted': expect.stringMatching(BUSTED),
      'svg-image': expect.stringMatching(BUSTED),
      'video': expect.stringMatching(BUSTED),
      'unrelated': 12,
      'same-name': 14,
      'bg-other': 'url("/other/a.svg")',
    })
    // One event, one token: every place of the page shares one new URL (the frame's document fetches it again).
    const busted = new Set(Object.values(await places(live.page)).map(v => String(v).match(BUSTED)?.[0]).filter(Boolean))
    expect(busted.size).toBe(1)
    console.log(`[live-assets] assets: ${site.refetches('/img/a.svg')} request(s) for the new image`)
    expect(site.refetches('/img/a.svg')).toBeGreaterThanOrEqual(1)
    expect([site.refetches('/img/b.svg'), site.page.count('/img/b.svg'), site.page.count('/other/a.svg'), site.page.count('/img/big.svg')]).toEqual([0, 1, 1, 0])
    expect(live.console.filter(line => line.startsWith('[live-assets]'))).toEqual(['[live-assets] refreshed a.svg in 12 place(s)'])
    expect(await live.events('before-swap')).toEqual([])
    expect(site.page.count('/images.html')).toBe(1)
    expect(await live.sentinel()).toBe(live.firstSentinel)

    // Again: a second change gets a new URL, and the old busted one is replaced rather than added to.
    await site.write('img/a.svg', svg(30))
    await expect.poll(() => places(live.page)).toMatchObject({ 'plain': 30, 'set': 30, 'pic': 30, 'in-shadow': 30, 'in-frame': 30 })
    expect(await live.page.evaluate(() => document.querySelector('#inline')!.getAttribute('style'))).toMatch(/url\('img\/a\.svg\?la=[\w-]+'\) no-repeat$/)
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })

  it('sends nothing for a source map alone, and one swap for a stylesheet with its map', async () => {
    // A `reload` glob over the stylesheets' folder: the map must not reload the page either.
    await open(['css', 'img'], ['css/**'])
    await expect.poll(() => places(live.page)).toMatchObject({ unrelated: 12 })
    // After each step, an unrelated image change that arrives later proves the earlier step sent nothing.
    const flush = async (size: number): Promise<void> => {
      await site.write('img/b.svg', svg(size))
      await expect.poll(() => places(live.page)).toMatchObject({ unrelated: size })
    }

    await site.write('css/images.css.map', '{"version":3,"sources":[],"mappings":""}')
    await flush(24)
    expect(await live.events('before-swap')).toEqual([])
    expect(site.refetches('/css/images.css')).toBe(0)

    await site.write('css/images.css', '#bg { width: 11px; height: 10px; }')
    await site.write('css/images.css.map', '{"version":3,"sources":[],"mappings":"A"}')
    await live.waitForEvents('after-swap', 1)
    expect(await live.style('#bg', 'width')).toBe('11px')
    await flush(26)
    expect((await live.events('before-swap')).length).toBe(1)
    expect(site.refetches('/css/images.css')).toBe(1)
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })
})
