import type { Page } from 'playwright-core'
import { recordFrames } from './probes'

/** What an element without any author style computes to. */
const UNSTYLED = 'rgb(0, 0, 0)'

/**
 * Samples the colour of each probe on every animation frame (`recordFrames`), for `paintedAt` and `unstyledFrames`:
 * when a new colour was first painted, and the frames in which a probe had no style (a sheet removed before its
 * replacement applied).
 */
export async function sampleColors(page: Page, probes: string[]): Promise<void> {
  await page.evaluate(recordFrames, [probes, 'color'] as const)
}

/** The time of the first frame in which probe `index` shows `color`. */
export async function paintedAt(page: Page, index: number, color: string, timeout = 30_000): Promise<number> {
  const handle = await page.waitForFunction(([i, c]) => window.__frameTimes[window.__frames.findIndex(values => values[i] === c)], [index, color] as const, { timeout, polling: 20 })
  return await handle.jsonValue() as number
}

/** Frames so far in which a probe had no author style at all. */
export function unstyledFrames(page: Page): Promise<number> {
  return page.evaluate(unstyled => window.__frames.filter(values => values.includes(unstyled)).length, UNSTYLED)
}
