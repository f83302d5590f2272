import type { BrowserContext, Page } from 'playwright-core'
import { getBrowser } from './browser'
import { EVENT_NAMES, recordEvents, recordFrames } from './probes'

export interface RecordedEvent {
  name: string
  detail: any
}

declare global {
  interface Window {
    /** Set once per document: a reload gives a new value. */
    __sentinel: number
    /** Every `live-assets:*` event, in order. */
    __la: RecordedEvent[]
  }
}

export interface LivePage {
  page: Page
  context: BrowserContext
  /** Console lines of the page, in order. */
  console: string[]
  /** The `window` sentinel of the first load; compare with `sentinel()` to prove there was no reload. */
  firstSentinel: number
  sentinel: () => Promise<number>
  /** Details of the `live-assets:<name>` events so far. */
  events: (name: string) => Promise<any[]>
  /** Waits until `live-assets:<name>` has fired `count` times in total. */
  waitForEvents: (name: string, count: number, timeout?: number) => Promise<void>
  /** False for tests that slow the server down on purpose: their swaps stay out of the timing report. */
  timed: boolean
  /** `getComputedStyle(selector)[property]`. */
  style: (selector: string, property: string) => Promise<string>
  close: () => Promise<void>
}

/** Swap durations seen by every page of this test file, for the report. */
export const swapDurations: number[] = []

export interface OpenPageOptions {
  waitForConnect?: boolean
  /** Opens the page as one more tab of this context (closed with the page, not the context). */
  context?: BrowserContext
  /** Runs before navigation, e.g. to add an init script. */
  beforeLoad?: (page: Page) => Promise<unknown>
}

/** Opens `url` in a fresh context of the run's one Chromium and waits for the client to connect. */
export async function openPage(url: string, { waitForConnect = true, beforeLoad, context: shared }: OpenPageOptions = {}): Promise<LivePage> {
  const context = shared ?? await (await getBrowser()).newContext()
  const page = await context.newPage()
  const close = (): Promise<void> => shared ? page.close() : context.close()
  await page.addInitScript(recordEvents, EVENT_NAMES)
  await beforeLoad?.(page)
  const lines: string[] = []
  page.on('console', message => void lines.push(message.text()))
  let firstSentinel: number
  try {
    await page.goto(url)
    if (waitForConnect)
      await page.waitForFunction(() => window.__la.some(e => e.name === 'connect'), undefined, { timeout: 10_000 })
    firstSentinel = await page.evaluate(() => window.__sentinel)
  }
  catch (error) {
    await close()
    throw error
  }
  const events = (name: string): Promise<any[]> =>
    page.evaluate(n => window.__la.filter(e => e.name === n).map(e => e.detail), name)

  const live: LivePage = {
    page,
    context,
    timed: true,
    console: lines,
    firstSentinel,
    sentinel: () => page.evaluate(() => window.__sentinel),
    events,
    async waitForEvents(name, count, timeout = 10_000) {
      await page.waitForFunction(([n, c]) => window.__la.filter(e => e.name === n).length >= c, [name, count] as const, { timeout })
    },
    style: (selector, property) => page.evaluate(([s, p]) => getComputedStyle(document.querySelector(s)!).getPropertyValue(p), [selector, property] as const),
    async close() {
      if (live.timed && !page.isClosed()) {
        try {
          for (const detail of await events('after-swap'))
            swapDurations.push(detail.durationMs)
        }
        catch {}
      }
      await close()
    },
  }
  return live
}

/** Records `property` of each selector on every animation frame into `window.__frames` (see `recordFrames`). */
export async function sampleFrames(page: Page, selectors: (string | string[])[], property: string | string[]): Promise<void> {
  await page.evaluate(recordFrames, [selectors, property] as const)
}

/** Prints min / median / max of the swap durations of this file. */
export function reportDurations(label: string): void {
  if (!swapDurations.length)
    return
  const sorted = [...swapDurations].sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  console.log(`[live-assets] ${label}: ${sorted.length} swaps, duration min ${sorted[0]} ms, median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${sorted.at(-1)} ms`)
}
