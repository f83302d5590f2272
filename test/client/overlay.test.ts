import type { LivePage } from '../utils/live-page'
import type { Site } from '../utils/site'
import { describe, expect, it } from 'vitest'
import { useSites } from '../utils/site'

const sites = useSites('overlay')
let site: Site

async function open(options?: Parameters<typeof sites.open>[1]): Promise<LivePage> {
  let live: LivePage
  ({ site, live } = await sites.open('/index.html', options))
  return live
}

const ERROR = {
  message: 'Unknown word <img src=x onerror="window.__pwned=1">',
  file: '/src/styles/app.css',
  line: 3,
  column: 7,
  source: 'postcss',
}

/** The overlay's text, or null when there is none. */
function overlayText(live: LivePage): Promise<string | null> {
  return live.page.evaluate(() => document.querySelector('live-assets-overlay')?.shadowRoot?.textContent ?? null)
}

async function waitForOverlay(live: LivePage, shown: boolean): Promise<void> {
  await live.page.waitForFunction(s => !!document.querySelector('live-assets-overlay') === s, shown)
}

describe('the error overlay', () => {
  it('shows message and file:line:column as text, and can be dismissed', async () => {
    const live = await open()
    site.publish('error', ERROR)
    await waitForOverlay(live, true)
    const text = await overlayText(live)
    expect(text).toContain('postcss')
    expect(text).toContain('/src/styles/app.css:3:7')
    expect(text).toContain(ERROR.message)
    // textContent only: the message is never parsed as markup.
    expect(await live.page.evaluate(() => document.querySelector('live-assets-overlay')!.shadowRoot!.querySelector('img'))).toBeNull()
    expect(await live.page.evaluate(() => (window as any).__pwned)).toBeUndefined()
    expect(await live.events('error')).toEqual([ERROR])
    // Page styles cannot reach into the shadow root.
    await live.page.addStyleTag({ content: 'pre { display: none !important; }' })
    expect(await live.page.evaluate(() => getComputedStyle(document.querySelector('live-assets-overlay')!.shadowRoot!.querySelector('pre')!).display)).toBe('block')

    await live.page.evaluate(() => document.querySelector('live-assets-overlay')!.shadowRoot!.querySelector('button')!.click())
    await waitForOverlay(live, false)
    site.publish('error', ERROR)
    await waitForOverlay(live, true)
    await live.page.keyboard.press('Escape')
    await waitForOverlay(live, false)
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })

  it('keeps the stream open through a build error: the `error` event is not a connection failure', async () => {
    const live = await open()
    site.publish('error', ERROR)
    await waitForOverlay(live, true)
    site.publish('clearError', {})
    await waitForOverlay(live, false)
    expect(await live.events('disconnect')).toEqual([])
    expect(site.handler.broadcaster.stats()).toMatchObject({ subscribers: 1, peakSubscribers: 1 })
  })

  it('shows no overlay when the connection drops', async () => {
    const live = await open({ mode: 'cross-origin' })
    await site.stopLive()
    await live.waitForEvents('disconnect', 1)
    await site.startLive()
    await live.waitForEvents('connect', 2)
    expect(await overlayText(live)).toBeNull()
    expect(await live.events('error')).toEqual([])
  })

  it('is removed by clearError and by the next good reloadCSS', async () => {
    const live = await open()
    site.publish('error', ERROR)
    await waitForOverlay(live, true)
    site.publish('clearError', {})
    await waitForOverlay(live, false)

    site.publish('error', { message: 'second' })
    await waitForOverlay(live, true)
    expect(await overlayText(live)).toContain('second')
    site.publish('reloadCSS', { files: ['/css/base.css'] })
    await waitForOverlay(live, false)
    await live.waitForEvents('after-swap', 1)
    expect(await live.page.evaluate(() => document.querySelectorAll('live-assets-overlay').length)).toBe(0)
  })

  it('is shown to pages opened after the error, until it is cleared', async () => {
    const first = await open()
    site.publish('error', ERROR)
    await waitForOverlay(first, true)
    const later = await sites.another(site, '/index.html')
    await waitForOverlay(later, true)
    expect(await overlayText(later)).toContain('/src/styles/app.css:3:7')
    site.publish('clearError', {})
    await waitForOverlay(later, false)
    const clean = await sites.another(site, '/index.html')
    site.publish('reloadCSS', { files: ['/css/base.css'] })
    await clean.waitForEvents('after-swap', 1)
    expect(await overlayText(clean)).toBeNull()
  })

  it('stays hidden with overlay: false, yet still reports the error', async () => {
    const live = await open({ live: { client: { overlay: false } } })
    site.publish('error', ERROR)
    await live.waitForEvents('error', 1)
    expect(await overlayText(live)).toBeNull()
    expect(live.console).toContain(`[live-assets] ${ERROR.message}`)
  })
})
