import type { Frame } from 'playwright-core'
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
