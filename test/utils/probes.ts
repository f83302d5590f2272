/**
 * Page functions shared by the Chromium tests (through Playwright) and the cross-engine tests
 * (through `Tab.run`): each is serialised to the page, so it uses only its argument and the page's globals.
 */

/** What a page records from its first script on: the `live-assets:*` events, and every error it saw. */
declare global {
  interface Window {
    /** Console errors and warnings, uncaught errors and rejections, in order. */
    __problems: string[]
    /** Computed styles sampled on every animation frame by `recordFrames`, and each frame's `Date.now()`. */
    __frames: string[][]
    __frameTimes: number[]
    /** Which call of `recordFrames` is recording: an earlier one stops. */
    __framesRun?: number
  }
}

export const EVENT_NAMES = ['connect', 'disconnect', 'before-swap', 'after-swap', 'error']

/** Sets the `window` sentinel and records the client's events, as the first script of a page. */
export function recordEvents(names: string[]): void {
  window.__sentinel = Math.random()
  window.__la = []
  for (const name of names)
    addEventListener(`live-assets:${name}`, event => window.__la.push({ name, detail: (event as CustomEvent).detail }))
}

/** Records console errors and warnings and uncaught errors into `window.__problems` (WebDriver classic has no console). */
export function recordProblems(): void {
  window.__problems = []
  for (const level of ['error', 'warn'] as const) {
    const original = console[level]
    console[level] = (...args: unknown[]) => {
      window.__problems.push(`console.${level}: ${args.join(' ')}`)
      original.apply(console, args)
    }
  }
  addEventListener('error', event => window.__problems.push(`uncaught: ${event.message}`))
  addEventListener('unhandledrejection', event => window.__problems.push(`unhandled rejection: ${event.reason}`))
}

/** Both recorders as a `<script>` body, for a page server to put first in every page. */
export const recorderScript = `(${recordEvents})(${JSON.stringify(EVENT_NAMES)});(${recordProblems})()`

/**
 * The one frame sampler: records `property` of each selector on every animation frame into `window.__frames`, and
 * the frame's time into `window.__frameTimes`, so a test can prove that no painted frame showed a state it should not,
 * and when the first frame showed the new one. `property` may name one property per selector. A selector may be a
 * path into open shadow roots, each but the last naming a shadow host: `['#card', 'x-inner', '#title']`. Calling it
 * again starts a new recording and stops the previous one.
 */
export function recordFrames([sels, prop]: readonly [(string | string[])[], string | string[]]): void {
  const at = (path: string | string[]): Element => {
    const parts = [path].flat()
    let root: Document | ShadowRoot = document
    for (const host of parts.slice(0, -1))
      root = root.querySelector(host)!.shadowRoot!
    return root.querySelector(parts.at(-1)!)!
  }
  const props = sels.map((_, i) => typeof prop === 'string' ? prop : prop[i])
  const run = window.__framesRun = (window.__framesRun ?? 0) + 1
  window.__frames = []
  window.__frameTimes = []
  const loop = (): void => {
    if (window.__framesRun !== run)
      return
    window.__frames.push(sels.map((s, i) => getComputedStyle(at(s)).getPropertyValue(props[i])))
    window.__frameTimes.push(Date.now())
    requestAnimationFrame(loop)
  }
  requestAnimationFrame(loop)
}

/** What each place of images.html shows: an image's natural width, a background's URL, or the URL in an attribute. */
export function imagePlaces(): Record<string, string | number> {
  const shadow = document.querySelector('#host')!.shadowRoot!
  const frame = (document.querySelector('#frame') as HTMLIFrameElement).contentDocument!
  const width = (el: Element | null): number => (el as HTMLImageElement).naturalWidth
  const background = (el: Element | null): string => getComputedStyle(el!).backgroundImage.replace(location.origin, '')
  const $ = (selector: string): Element | null => document.querySelector(selector)
  return {
    'plain': width($('#plain')),
    'set': width($('#set')),
    'pic': width($('#pic')),
    'in-shadow': width(shadow.querySelector('#in-shadow')),
    'in-frame': width(frame.querySelector('#in-frame')),
    'bg': background($('#bg')),
    'bg-imported': background($('#bg-imported')),
    'inline': background($('#inline')),
    'in-style': background(shadow.querySelector('#in-style')),
    'in-adopted': background(shadow.querySelector('#in-adopted')),
    'svg-image': $('#svg-image')!.getAttribute('href')!,
    'video': $('#video')!.getAttribute('poster')!,
    'unrelated': width($('#unrelated')),
    'same-name': width($('#same-name')),
    'bg-other': background($('#bg-other')),
  }
}
