import type { Page } from 'playwright-core'

declare global {
  interface Window {
    /** Each change of the sampled colours, with the time of the frame that painted it. */
    __colorLog: Array<{ t: number, values: string[] }>
    /** Frames in which a sampled element had no author style at all. */
    __unstyledFrames: number
  }
}

/** What an element without any author style computes to. */
const UNSTYLED = 'rgb(0, 0, 0)'

/**
 * Samples the colour of each probe on every animation frame: logs each change with its frame time, and counts the
 * frames in which one of them had no style (a sheet removed before its replacement applied).
 */
export async function sampleColors(page: Page, probes: string[]): Promise<void> {
  await page.evaluate(([selectors, unstyled]) => {
    window.__colorLog = []
    window.__unstyledFrames = 0
    let last = ''
    const loop = (): void => {
      const values = selectors.map(s => getComputedStyle(document.querySelector(s)!).color)
      if (values.includes(unstyled))
        window.__unstyledFrames++
      if (values.join() !== last) {
        last = values.join()
        window.__colorLog.push({ t: Date.now(), values })
      }
      requestAnimationFrame(loop)
    }
    requestAnimationFrame(loop)
  }, [probes, UNSTYLED] as const)
}

/** The time of the first frame in which probe `index` shows `color`. */
export async function paintedAt(page: Page, index: number, color: string, timeout = 30_000): Promise<number> {
  const handle = await page.waitForFunction(([i, c]) => window.__colorLog.find(entry => entry.values[i] === c)?.t, [index, color] as const, { timeout, polling: 20 })
  return await handle.jsonValue() as number
}

/** Frames so far in which a probe had no author style at all. */
export function unstyledFrames(page: Page): Promise<number> {
  return page.evaluate(() => window.__unstyledFrames)
}
