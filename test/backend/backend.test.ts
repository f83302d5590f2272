import type { BrowserContext, Page } from 'playwright-core'
import type { App, CliProcess } from './utils'
import { appendFile, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getBrowser } from '../utils/browser'
import { sampleFrames } from '../utils/live-page'
import { copyPlayground, removeCopy } from '../utils/playground'
import { poll } from '../utils/poll'
import { killAll } from '../utils/process'
import { get, startApp, startCli, stats } from './utils'

/**
 * The backend setup end to end: the playground's page server on one port, the real `live-assets` CLI (a child
 * process) on another, one Chromium page, edits to a temp copy of the playground.
 */

/** What the page keeps on `window`; `sentinel` is set once per document, so a reload changes it. */
interface Probe {
  sentinel: number
  connects: number
}

type Style = [selector: string, property: string]

const TITLE_COLOR: Style = ['.title', 'color']
const CARD_BACKGROUND: Style = ['.card', 'background-color']
const BUTTON_BACKGROUND: Style = ['.button', 'background-color']

let playground: string
let app: App
let cli: CliProcess
let context: BrowserContext
let page: Page
let sentinel: number
const timings: string[] = []

function cliArgs(port = 0): string[] {
  // No --origin: the page is on a loopback origin.
  return ['--watch', 'assets/**/*.css', '--url-base', '/assets', '--reload', 'views/**/*.html', '--port', String(port)]
}

const file = (relative: string): string => path.join(playground, relative)
const fetches = (pathname: string): number => app.requests.filter(p => p === pathname).length

async function probe<K extends keyof Probe>(key: K): Promise<Probe[K]> {
  return await page.evaluate(k => (window as unknown as Record<string, unknown>)[k], key as string) as Probe[K]
}

function style(page: Page, [selector, property]: Style): Promise<string> {
  return page.evaluate(([s, p]) => getComputedStyle(document.querySelector(s)!).getPropertyValue(p), [selector, property] as const)
}

async function clickCounter(times: number): Promise<void> {
  for (let i = 0; i < times; i++)
    await page.click('#counter')
}

/**
 * Appends `css` to `relative`, waits until `target` shows `expected`, and checks every animation frame in between:
 * `target` is its old or its new value, and each of `steady` keeps its value (no frame without the sheets).
 * Returns the time from the save to the first frame with the new style.
 */
async function editAndWatch(relative: string, css: string, target: Style, expected: string, steady: Style[]): Promise<number> {
  const styles = [target, ...steady]
  const before = await Promise.all(styles.map(s => style(page, s)))
  expect(before[0]).not.toBe(expected)

  await sampleFrames(page, styles.map(([s]) => s), styles.map(([, p]) => p))
  await page.waitForFunction(() => window.__frames.length > 2)

  const savedAt = Date.now()
  await appendFile(file(relative), `\n${css}\n`)
  await page.waitForFunction(([[s, p], value]) => getComputedStyle(document.querySelector(s)!).getPropertyValue(p) === value, [target, expected] as const, { timeout: 20_000, polling: 'raf' })
  const seen = await page.evaluate(() => window.__frames.length)
  await page.waitForFunction(n => window.__frames.length > n + 5, seen)
  const frames = await page.evaluate(() => window.__frames.map((values, i) => ({ time: window.__frameTimes[i], values })))

  const first = frames.findIndex(f => f.values[0] === expected)
  expect(first).toBeGreaterThan(0)
  for (const frame of frames) {
    expect([before[0], expected]).toContain(frame.values[0])
    expect(frame.values.slice(1)).toEqual(before.slice(1))
  }
  expect(frames.slice(first).every(f => f.values[0] === expected)).toBe(true)
  const ms = frames[first].time - savedAt
  timings.push(`${relative} ${ms} ms`)
  console.log(`[backend] save-to-restyle ${relative}: ${ms} ms (${frames.length} frames checked)`)
  return ms
}

async function expectNoReload(): Promise<void> {
  expect(await probe('sentinel')).toBe(sentinel)
  expect(await page.textContent('#counter output')).toBe('3')
}

beforeAll(async () => {
  playground = await copyPlayground('backend', { modules: 'none' })
  app = await startApp(playground)
  cli = await startCli([...cliArgs(), '--debounce', '20'], playground)
  app.setLiveAssetsTag(cli.scriptTag)

  context = await (await getBrowser()).newContext()
  page = await context.newPage()
  await page.addInitScript(() => {
    const probe = window as unknown as Probe
    probe.sentinel = Math.random()
    probe.connects = 0
    addEventListener('live-assets:connect', () => probe.connects++)
  })
  await page.goto(`${app.url}/`)
  await page.waitForFunction(() => (window as unknown as Probe).connects > 0, undefined, { timeout: 15_000 })
  sentinel = await probe('sentinel')
  await clickCounter(3)
})

afterAll(async () => {
  if (timings.length)
    console.log(`[backend] save-to-restyle: ${timings.join(', ')}`)
  await context?.close()
  await cli?.stop('SIGKILL')
  killAll()
  await app?.close()
  await removeCopy(playground)
})

describe('a server-rendered page with the live-assets CLI beside it', () => {
  it('connects across origins: one subscriber', async () => {
    await poll(async () => (await stats(cli.endpoints)).subscribers === 1, { what: 'one subscriber', timeout: 15_000 })
    expect(new URL(cli.endpoints).origin).not.toBe(new URL(app.url).origin)
    expect(await page.locator('script[src$="/__live_assets/client.js"]').count()).toBe(1)
    expect(await style(page, TITLE_COLOR)).toBe('rgb(11, 107, 203)')
    expect(await page.textContent('#counter output')).toBe('3')
  })

  it('restyles an edited stylesheet without reload or flash, and leaves the other sheet alone', async () => {
    const layoutFetches = fetches('/assets/layout.css')
    const appFetches = fetches('/assets/app.css')
    await editAndWatch('assets/app.css', '.title { color: rgb(200, 0, 0); }', TITLE_COLOR, 'rgb(200, 0, 0)', [CARD_BACKGROUND, BUTTON_BACKGROUND])
    await expectNoReload()
    expect(fetches('/assets/app.css')).toBeGreaterThan(appFetches)
    expect(fetches('/assets/layout.css')).toBe(layoutFetches)
    // the clone replaced the original: still exactly two sheets, in their order
    await poll(async () => (await page.locator('link[rel=stylesheet]').count()) === 2, { what: 'the old <link> to go', timeout: 15_000 })
    expect(await page.$$eval('link[rel=stylesheet]', links => links.map(l => new URL((l as HTMLLinkElement).href).pathname))).toEqual(['/assets/app.css', '/assets/layout.css'])
  })

  it('restyles through the sheet that @imports an edited partial', async () => {
    const layoutFetches = fetches('/assets/layout.css')
    const appFetches = fetches('/assets/app.css')
    const title = await style(page, TITLE_COLOR)
    await editAndWatch('assets/partials/theme.css', '.button { background-color: rgb(0, 0, 200); }', BUTTON_BACKGROUND, 'rgb(0, 0, 200)', [TITLE_COLOR, CARD_BACKGROUND])
    await expectNoReload()
    expect(await style(page, TITLE_COLOR)).toBe(title)
    expect(fetches('/assets/app.css')).toBeGreaterThan(appFetches)
    expect(fetches('/assets/layout.css')).toBe(layoutFetches)
  })

  it('a syntax error in a watched sheet shows the overlay and keeps the old styles; fixing it removes the overlay', async () => {
    const before = await style(page, TITLE_COLOR)
    const appFetches = fetches('/assets/app.css')
    const target = file('assets/app.css')
    const good = await readFile(target, 'utf8')
    await writeFile(target, `${good}\n.title {{ color: rgb(9, 9, 9); }\n`)
    const overlay = await page.waitForSelector('live-assets-overlay', { state: 'attached', timeout: 20_000 })
    expect(await overlay.evaluate(host => host.shadowRoot!.textContent)).toMatch(/app\.css.*Unclosed block|Unclosed block/s)
    expect(await style(page, TITLE_COLOR)).toBe(before)
    expect(fetches('/assets/app.css')).toBe(appFetches)
    await writeFile(target, `${good}\n.title { color: rgb(0, 91, 0); }\n`)
    await page.waitForFunction(([[s, p], value]) => getComputedStyle(document.querySelector(s)!).getPropertyValue(p) === value, [TITLE_COLOR, 'rgb(0, 91, 0)'] as const, { timeout: 20_000 })
    await page.waitForSelector('live-assets-overlay', { state: 'detached', timeout: 20_000 })
    expect(cli.output()).toMatch(/assets\/app\.css:\d+: Unclosed block; the page keeps the previous version and shows the error\./)
    await expectNoReload()
  })

  it('sends nothing for a save that does not change the file', async () => {
    const before = await stats(cli.endpoints)
    const layoutFetches = fetches('/assets/layout.css')
    const layout = file('assets/layout.css')
    await writeFile(layout, await readFile(layout))
    await editAndWatch('assets/app.css', '.title { color: rgb(0, 120, 0); }', TITLE_COLOR, 'rgb(0, 120, 0)', [CARD_BACKGROUND])
    const after = await stats(cli.endpoints)
    expect(after.eventsPublished - before.eventsPublished).toBe(1)
    expect(fetches('/assets/layout.css')).toBe(layoutFetches)
    await expectNoReload()
  })

  it('refuses the stream to a page on a non-loopback origin that was not named, and says so in the terminal and the console', async () => {
    const other = await startApp(playground)
    other.setLiveAssetsTag(cli.scriptTag)
    // Served on 127.0.0.1, opened as http://app.test:<port> (the browser maps *.test to 127.0.0.1).
    const origin = `http://app.test:${new URL(other.url).port}`
    const stranger = await context.newPage()
    const warnings: string[] = []
    stranger.on('console', message => void (message.type() === 'warning' && warnings.push(message.text())))
    try {
      await stranger.goto(`${origin}/`)
      const outcome = await stranger.evaluate(url => new Promise<{ readyState: number }>((resolve) => {
        const source = new EventSource(url)
        source.onopen = () => resolve({ readyState: -1 })
        source.onerror = () => resolve({ readyState: source.readyState })
      }), `${cli.endpoints}/events`)
      // CLOSED: the browser gave up on the 403 for good, it does not even retry
      expect(outcome.readyState).toBe(2)
      const answer = await get(`${cli.endpoints}/events`, { 'Origin': origin, 'Sec-Fetch-Site': 'same-site' })
      expect(answer.status).toBe(403)
      expect((await stats(cli.endpoints)).subscribers).toBe(1)
      // The client says it once, after its second refusal in a row; the CLI said it once, naming the flag.
      await poll(() => warnings.some(text => text.includes('refuses the event stream')), { what: 'the console line', timeout: 10_000 })
      expect(warnings.filter(text => text.startsWith('[live-assets]'))).toEqual([
        `[live-assets] ${new URL(cli.endpoints).origin} refuses the event stream of ${origin}, so this page gets no live updates. If the terminal running live-assets says it refused ${origin}, allow it: allowedOrigins: ['${origin}'] in the plugin, --origin ${origin} for the CLI.`,
      ])
      const said = `refused /__live_assets/events to a page on ${origin}: allow that origin with allowedOrigins: ["${origin}"] (CLI: --origin ${origin}).`
      expect(cli.output().split(said)).toHaveLength(2)
    }
    finally {
      await stranger.close()
      await other.close()
    }
  })

  it('reconnects by itself when the CLI restarts, then keeps restyling', async () => {
    const { port } = cli
    const connects = await probe('connects')
    const exit = await cli.stop('SIGTERM')
    expect(exit.code).toBe(0)

    const restartedAt = Date.now()
    cli = await startCli(cliArgs(port), playground)
    expect(cli.port).toBe(port)
    await page.waitForFunction(n => (window as unknown as Probe).connects > n, connects, { timeout: 25_000 })
    console.log(`[backend] page reconnected ${Date.now() - restartedAt} ms after the CLI restarted`)
    await poll(async () => (await stats(cli.endpoints)).subscribers === 1, { what: 'the page to subscribe again', timeout: 15_000 })

    await editAndWatch('assets/layout.css', '.card { background-color: rgb(250, 240, 200); }', CARD_BACKGROUND, 'rgb(250, 240, 200)', [TITLE_COLOR])
    await expectNoReload()
  })

  it('reloads the page when a --reload template changes', async () => {
    const reloaded = page.waitForEvent('load', { timeout: 20_000 })
    await appendFile(file('views/layout.html'), '\n<!-- edited -->\n')
    await reloaded
    expect(await probe('sentinel')).not.toBe(sentinel)
    expect(await page.textContent('#counter output')).toBe('0')
  })
})
