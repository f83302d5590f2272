/**
 * One small API over the three browser engines, for the cross-engine tests: Chromium through
 * playwright-core, Firefox over WebDriver BiDi through puppeteer-core, WebKit (MiniBrowser) over
 * W3C WebDriver HTTP through a client of a few lines. Every browser is a Debian package found on
 * disk (or through an environment variable); nothing is ever downloaded.
 *
 * A tab runs functions in its page (`run`, `until`), navigates (`goto`) and can be put in the
 * background (`hide`) for real where the engine allows it: Firefox hides every tab but the front
 * one of its window, WebKit a minimized window. Headless Chromium reports every page visible, so
 * there the visibility is forced on the page, and the client sees the same `document.hidden` and
 * `visibilitychange`.
 */
import type { ChildProcess } from 'node:child_process'
import type { BrowserContext, Browser as PlaywrightBrowser } from 'playwright-core'
import type { Browser as PuppeteerBrowser, BrowserContext as PuppeteerContext } from 'puppeteer-core'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import process from 'node:process'
import { chromium } from 'playwright-core'
import puppeteer from 'puppeteer-core'
import { chromeArgs, chromePath } from './global-setup'

export type EngineName = 'chromium' | 'firefox' | 'webkit'

/** `LIVE_ASSETS_ENGINES=firefox` (or a comma-separated list) runs the cross-engine tests in those engines only. */
export const engineNames: EngineName[] = (process.env.LIVE_ASSETS_ENGINES || 'chromium,firefox,webkit')
  .split(',')
  .map(name => name.trim() as EngineName)

export const firefoxPath = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr'
export const webkitDriverPath = process.env.WEBKIT_DRIVER_PATH || '/usr/bin/WebKitWebDriver'
export const miniBrowserPath = process.env.MINIBROWSER_PATH || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser'

/** A page function: serialised to the browser, so it may use only its argument and the page's globals. */
export type PageFunction<A, R> = (arg: A) => R | Promise<R>

export interface Tab {
  /** Runs `fn(arg)` in the page and returns its (awaited) result; the result must be JSON. */
  run: <R, A = undefined>(fn: PageFunction<A, R>, arg?: A) => Promise<R>
  /** Polls `fn(arg)` until it returns something truthy (errors while a page navigates count as falsy). */
  until: <R, A = undefined>(fn: PageFunction<A, R>, arg?: A, timeout?: number) => Promise<R>
  /** Navigates and waits for the load event. */
  goto: (url: string) => Promise<void>
  /** Puts the tab in the background: `document.hidden` becomes true. */
  hide: () => Promise<void>
  close: () => Promise<void>
}

export interface Engine {
  name: EngineName
  /** e.g. `firefox/153.8.0`. */
  version: string
  /** Opens `url` in a new tab; the tabs of one engine share one profile (connection pool, storage, locks). */
  open: (url: string) => Promise<Tab>
  /** Closes every tab and starts afresh (a new profile where the engine has them). */
  reset: () => Promise<void>
  close: () => Promise<void>
}

const POLL_MS = 25
/** How long a WebDriver script or page load may take before the driver reports it as an error. */
const SCRIPT_TIMEOUT_MS = 8_000
const COMMAND_TIMEOUT_MS = 12_000

/** The `until` of every engine: poll `run` from here. */
function poller(run: Tab['run']): Tab['until'] {
  return async (fn, arg, timeout = 10_000) => {
    const deadline = Date.now() + timeout
    let last: unknown
    for (;;) {
      try {
        const value = await run(fn, arg)
        if (value)
          return value
      }
      catch (error) {
        last = error
      }
      if (Date.now() > deadline)
        throw new Error(`[live-assets] timed out after ${timeout} ms waiting for ${fn.toString().slice(0, 200)}${last ? ` (last error: ${last})` : ''}`)
      await new Promise(resolve => setTimeout(resolve, POLL_MS))
    }
  }
}

/** Headless Chromium shows every page: this is what a background tab looks like to a script. */
function forceHidden(): void {
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => true })
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' })
  document.dispatchEvent(new Event('visibilitychange'))
}

function need(path: string, what: string, install: string, variable: string): void {
  if (!existsSync(path))
    throw new Error(`[live-assets] ${what} not found at ${path}: install it (apt-get install -y ${install}) or set ${variable}, or run fewer engines with LIVE_ASSETS_ENGINES=chromium.`)
}

export function launch(name: EngineName): Promise<Engine> {
  switch (name) {
    case 'chromium': return launchChromium()
    case 'firefox': return launchFirefox()
    case 'webkit': return launchWebKit()
    default: throw new Error(`[live-assets] unknown engine ${name} in LIVE_ASSETS_ENGINES: use chromium, firefox or webkit.`)
  }
}

async function launchChromium(): Promise<Engine> {
  need(chromePath, 'Chromium', 'chromium', 'CHROME_PATH')
  // Playwright turns the back/forward cache off unless its flag is dropped.
  const browser: PlaywrightBrowser = await chromium.launch({ executablePath: chromePath, args: chromeArgs, ignoreDefaultArgs: ['--disable-back-forward-cache'] })
  let context: BrowserContext = await browser.newContext()
  return {
    name: 'chromium',
    version: `chromium/${browser.version()}`,
    async open(url) {
      const page = await context.newPage()
      await page.goto(url)
      const run: Tab['run'] = (fn, arg) => page.evaluate(fn as any, arg)
      return {
        run,
        until: poller(run),
        goto: async (to) => {
          await page.goto(to)
        },
        hide: () => page.evaluate(forceHidden),
        close: () => page.close(),
      }
    },
    async reset() {
      await context.close()
      context = await browser.newContext()
    },
    close: () => browser.close(),
  }
}

async function launchFirefox(): Promise<Engine> {
  need(firefoxPath, 'Firefox', 'firefox-esr', 'FIREFOX_PATH')
  const browser: PuppeteerBrowser = await puppeteer.launch({ browser: 'firefox', executablePath: firefoxPath, headless: true })
  let context: PuppeteerContext = await browser.createBrowserContext()
  const pages: { bringToFront: () => Promise<void> }[] = []
  return {
    name: 'firefox',
    version: await browser.version(),
    async open(url) {
      // A new tab comes to the front of the one window: every other tab is hidden.
      const page = await context.newPage()
      pages.push(page)
      await page.goto(url)
      const run: Tab['run'] = (fn, arg) => page.evaluate(fn as any, arg) as any
      return {
        run,
        until: poller(run),
        goto: async (to) => {
          await page.goto(to)
        },
        async hide() {
          const other = pages.filter(p => p !== page).at(-1) ?? await context.newPage()
          await other.bringToFront()
        },
        async close() {
          pages.splice(pages.indexOf(page), 1)
          await page.close()
        },
      }
    },
    async reset() {
      pages.length = 0
      await context.close()
      context = await browser.createBrowserContext()
    },
    close: () => browser.close(),
  }
}

/** A port that was free a moment ago: WebKitWebDriver takes no port 0. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

interface WebDriverAnswer {
  value: any
}

async function launchWebKit(): Promise<Engine> {
  need(webkitDriverPath, 'WebKitWebDriver', 'webkit2gtk-driver', 'WEBKIT_DRIVER_PATH')
  need(miniBrowserPath, 'MiniBrowser', 'webkit2gtk-driver', 'MINIBROWSER_PATH')
  const port = await freePort()
  // MiniBrowser is a GTK app: it needs an X display, a virtual one from xvfb-run (package xvfb).
  const driver: ChildProcess = spawn('xvfb-run', ['-a', webkitDriverPath, `--port=${port}`], { stdio: 'ignore', detached: true })
  const exited = new Promise<void>(resolve => driver.once('exit', () => resolve()))
  driver.once('error', () => {})
  const base = `http://127.0.0.1:${port}`

  async function command(method: string, path: string, body?: unknown): Promise<any> {
    // A command the driver never answers must fail the test with its name, not leave it to the test's timeout.
    const res = await fetch(base + path, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS) })
      .catch((error: Error) => {
        throw new Error(`[live-assets] WebKitWebDriver ${method} ${path}: no answer (${error.message})`)
      })
    const answer = await res.json() as WebDriverAnswer
    if (!res.ok)
      throw new Error(`[live-assets] WebKitWebDriver ${method} ${path}: ${answer.value?.error}: ${answer.value?.message}`)
    return answer.value
  }
  for (let start = Date.now(); ;) {
    try {
      await command('GET', '/status')
      break
    }
    catch (error) {
      if (Date.now() - start > 10_000 || driver.exitCode !== null)
        throw new Error(`[live-assets] WebKitWebDriver did not start under xvfb-run (install xvfb and xauth): ${error}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }

  let session = ''
  /** Window handles not used by a tab yet (the first window of a session). */
  let spare: string[] = []
  /** WebDriver commands act on the current window: one at a time, each after switching to its tab. */
  let queue: Promise<unknown> = Promise.resolve()
  const inWindow = <T>(handle: string, work: () => Promise<T>): Promise<T> => {
    const next = queue.then(async () => {
      await command('POST', `/session/${session}/window`, { handle })
      return work()
    })
    queue = next.catch(() => {})
    return next
  }
  async function newSession(): Promise<string> {
    const { sessionId, capabilities } = await command('POST', '/session', {
      capabilities: { alwaysMatch: {
        'webkitgtk:browserOptions': { binary: miniBrowserPath, args: ['--automation'] },
        // The defaults (30 s for a script, 300 s for a page load) outlast every test.
        'timeouts': { script: SCRIPT_TIMEOUT_MS, pageLoad: SCRIPT_TIMEOUT_MS },
      } },
    })
    session = sessionId
    spare = [await command('GET', `/session/${session}/window`)]
    return `${capabilities.browserName}/${capabilities.browserVersion}`
  }
  const version = await newSession()

  return {
    name: 'webkit',
    version,
    async open(url) {
      const handle = spare.pop() ?? (await command('POST', `/session/${session}/window/new`, { type: 'window' })).handle as string
      const own = session
      const run: Tab['run'] = (fn, arg) => inWindow(handle, () => command('POST', `/session/${own}/execute/sync`, {
        // A returned promise is awaited by the driver.
        script: `return (${fn.toString()})(arguments[0])`,
        args: [arg ?? null],
      }))
      const goto = (to: string): Promise<void> => inWindow(handle, () => command('POST', `/session/${own}/url`, { url: to }))
      await goto(url)
      return {
        run,
        until: poller(run),
        goto,
        hide: () => inWindow(handle, () => command('POST', `/session/${own}/window/minimize`, {})),
        close: () => inWindow(handle, () => command('DELETE', `/session/${own}/window`)).then(() => {}, () => {}),
      }
    },
    async reset() {
      await command('DELETE', `/session/${session}`).catch(() => {})
      await newSession()
    },
    async close() {
      await command('DELETE', `/session/${session}`).catch(() => {})
      process.kill(-driver.pid!, 'SIGTERM')
      await exited
    },
  }
}
