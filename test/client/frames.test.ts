import type { Frame } from 'playwright-core'
import type { LivePage } from '../utils/live-page'
import { describe, expect, it } from 'vitest'
import { useSites } from '../utils/site'

declare global {
  interface Window {
    /** Types of the events the frame's client dispatched. */
    __heard: string[]
  }
}

const sites = useSites('frames')

function framed(frame: Frame | null): Frame {
  if (!frame)
    throw new Error('the page has no framed.html frame')
  return frame
}

describe('a same-origin frame that also loads the client', () => {
  it('shares the parent\'s connection and swaps its own stylesheets; a removed frame is let go', async () => {
    // No fallback: an event for one document's sheet leaves the other document alone.
    const { site, live } = await sites.open('/frame.html', { live: { client: { fallback: 'none' } } })
    const frame = framed(live.page.frame({ url: /\/framed\.html$/ }))
    const frameEvents = (name: string): Promise<number> =>
      frame.evaluate(n => window.__la.filter(e => e.name === n).length, name)
    // The frame's client says `connect` from the parent's last `hello`, without a stream of its own.
    await frame.waitForFunction(() => window.__la.some(e => e.name === 'connect'))
    const frameSentinel = await frame.evaluate(() => window.__sentinel)
    expect(site.handler.broadcaster.stats().subscribers).toBe(1)
    expect(site.page.count('/__live_assets/events')).toBe(1)

    // What the frame's client dispatches, recorded in the parent: it still shows once the frame is removed.
    await frame.evaluate(() => {
      const heard: string[] = parent.__heard = []
      const dispatch = dispatchEvent
      window.dispatchEvent = (event) => {
        heard.push(event.type)
        return dispatch.call(window, event)
      }
    })
    await site.write('css/frame.css', '#f { color: rgb(0, 0, 22); }')
    site.publish('reloadCSS', { files: ['/css/frame.css'] })
    await expect.poll(() => frame.evaluate(() => getComputedStyle(document.querySelector('#f')!).color)).toBe('rgb(0, 0, 22)')
    expect(site.refetches('/css/frame.css')).toBe(1)
    expect(await frameEvents('after-swap')).toBe(1)
    expect(await frame.evaluate(() => window.__sentinel)).toBe(frameSentinel)
    expect(await live.sentinel()).toBe(live.firstSentinel)
    expect(site.page.count('/framed.html')).toBe(1)
    expect(await live.events('after-swap')).toEqual([])

    // A removed frame's window no longer fires its listeners, and its client must no longer hear the stream.
    const heard = await live.page.evaluate(() => window.__heard)
    expect(heard).toEqual(['live-assets:before-swap', 'live-assets:after-swap'])
    await live.page.evaluate(() => document.querySelector('iframe')!.remove())
    site.publish('error', { message: 'after the frame left' })
    await live.waitForEvents('error', 1)
    expect(await live.page.evaluate(() => window.__heard)).toEqual(heard)
    site.publish('reloadCSS', { files: [] })
    await live.waitForEvents('after-swap', 1)
    expect(site.handler.broadcaster.stats().subscribers).toBe(1)
  })
})

/** The frame of `live` whose URL matches `url`, once it has loaded. */
async function loadedFrame(live: LivePage, url: RegExp): Promise<Frame> {
  await expect.poll(() => live.page.frames().some(f => url.test(f.url()))).toBe(true)
  const frame = live.page.frames().find(f => url.test(f.url()))!
  await frame.waitForLoadState('load')
  return frame
}

function colorIn(frame: Frame, selector: string): Promise<string> {
  return frame.evaluate(s => getComputedStyle(document.querySelector(s)!).color, selector)
}

describe('a same-origin frame without the client', () => {
  it('is swapped by the parent\'s client: its <link> and a <style> @import, in place', async () => {
    const { site, live } = await sites.open('/frames.html', { live: { client: { fallback: 'none' } } })
    const bare = await loadedFrame(live, /\/bare\.html$/)
    const frameSentinel = await bare.evaluate(() => window.__sentinel)
    await site.write('css/bare.css', '#b { color: rgb(0, 80, 0); }')
    await site.write('css/partials/bare.css', '#i { color: rgb(0, 81, 0); }')
    site.publish('reloadCSS', { files: ['/css/bare.css', '/css/partials/bare.css'] })
    await live.waitForEvents('after-swap', 1)
    expect([await colorIn(bare, '#b'), await colorIn(bare, '#i')]).toEqual(['rgb(0, 80, 0)', 'rgb(0, 81, 0)'])
    expect(await bare.evaluate(() => [document.querySelectorAll('link').length, document.querySelectorAll('style').length])).toEqual([1, 1])
    expect(site.refetches('/css/bare.css')).toBe(1)
    expect((await live.events('after-swap'))[0].files.sort()).toEqual([`${site.page.url}/css/bare.css`, `${site.page.url}/css/partials/bare.css`])
    expect(await bare.evaluate(() => window.__sentinel)).toBe(frameSentinel)
    expect(site.page.count('/bare.html')).toBe(1)
  })

  it('leaves a frame that runs its own client to that client: one re-fetch per sheet', async () => {
    const { site, live } = await sites.open('/frames.html')
    const own = await loadedFrame(live, /\/framed\.html$/)
    await loadedFrame(live, /\/bare\.html$/)
    await own.waitForFunction(() => window.__la.some(e => e.name === 'connect'))
    // "Every stylesheet": the parent reloads its own and the bare frame's, the framed client its own.
    site.publish('reloadCSS', { files: [] })
    await live.waitForEvents('after-swap', 1)
    await own.waitForFunction(() => window.__la.some(e => e.name === 'after-swap'))
    expect(['/css/base.css', '/css/bare.css', '/css/frame.css'].map(site.refetches)).toEqual([1, 1, 1])
    expect((await live.events('after-swap'))[0].files).not.toContain(`${site.page.url}/css/frame.css`)
    expect(await own.evaluate(() => document.querySelectorAll('link').length)).toBe(1)
    expect(site.handler.broadcaster.stats().subscribers).toBe(1)
  })

  it('is found inside a shadow root too', async () => {
    const { site, live } = await sites.open('/index.html', { live: { client: { fallback: 'none' } } })
    await live.page.evaluate(() => {
      const root = document.body.appendChild(document.createElement('div')).attachShadow({ mode: 'open' })
      root.appendChild(document.createElement('iframe')).src = '/bare.html'
    })
    const bare = await loadedFrame(live, /\/bare\.html$/)
    await site.write('css/bare.css', '#b { color: rgb(0, 82, 0); }')
    site.publish('reloadCSS', { files: ['/css/bare.css'] })
    await live.waitForEvents('after-swap', 1)
    expect(await colorIn(bare, '#b')).toBe('rgb(0, 82, 0)')
  })
})

describe('a cross-origin frame', () => {
  it('is left alone, without errors', async () => {
    const { site, live } = await sites.open('/index.html', { live: { client: { fallback: 'none' } } })
    // Another host name is another origin, served by the same server.
    const other = site.page.url.replace('127.0.0.1', 'localhost')
    await live.page.evaluate(src => void (document.body.appendChild(document.createElement('iframe')).src = src), `${other}/bare.html`)
    await loadedFrame(live, /localhost:\d+\/bare\.html$/)
    site.publish('reloadCSS', { files: [] })
    await live.waitForEvents('after-swap', 1)
    site.publish('reloadCSS', { files: ['/css/bare.css'] })
    await expect.poll(() => live.console.filter(line => line.startsWith('[live-assets]')).length).toBe(2)
    expect(live.console.filter(line => line.startsWith('[live-assets]'))[1]).toMatch(/no stylesheet on this page matches bare\.css/)
    expect(site.refetches('/css/bare.css')).toBe(0)
    expect(site.refetches('/css/base.css')).toBe(1)
    expect(await live.events('error')).toEqual([])
  })
})
