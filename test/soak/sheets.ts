import type { LiveServer, LiveServerOptions } from '@live-assets/core'
import type { LivePage } from '../utils/live-page'
import type { PageServer } from '../utils/page-server'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createLiveServer, silentLogger } from '@live-assets/core'
import { afterEach } from 'vitest'
import { getBrowser } from '../utils/browser'
import { openPage } from '../utils/live-page'
import { startPageServer } from '../utils/page-server'

/** Steps registered during a test, undone after it in reverse order. */
export function useCleanup(): (step: () => Promise<unknown>) => void {
  let steps: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const step of steps.reverse())
      await step()
    steps = []
  })
  return step => void steps.push(step)
}

export interface SheetsSiteOptions {
  /** How many stylesheets: `css/s<i>.css`, each styling `#s<i>`. */
  sheets: number
  /** How many tabs open the page. */
  tabs: number
  /**
   * The tabs are tabs of one browser profile, as a developer's are: one connection shared by the client's worker,
   * one HTTP cache, six connections to the page server for all of them. Otherwise each tab is a browser of its own.
   * @default false
   */
  sameBrowser?: boolean
  /** The rule of sheet `i` at the start. */
  initial: (i: number) => string
  live?: LiveServerOptions
  /** Puts something between the pages and the live server; returns the origin the pages use instead. */
  between?: (live: LiveServer) => Promise<string>
}

export interface SheetsSite {
  root: string
  pages: PageServer
  live: LiveServer
  tabs: LivePage[]
  /** Absolute path of sheet `i`. */
  file: (i: number) => string
  /** Waits until every tab shows `colors[i]` on `#s<i>` for every sheet. */
  waitForColors: (colors: string[], timeout: number) => Promise<void>
}

/**
 * A page linking many stylesheets, served from a temp dir beside a standalone live server that watches the files,
 * open in several tabs of the run's Chromium: the site of a soak test.
 */
export async function startSheetsSite(options: SheetsSiteOptions, cleanup: ReturnType<typeof useCleanup>): Promise<SheetsSite> {
  const root = await mkdtemp(path.join(tmpdir(), 'live-assets-soak-'))
  cleanup(() => rm(root, { recursive: true, force: true }))
  await mkdir(path.join(root, 'css'))
  const ids = Array.from({ length: options.sheets }, (_, i) => i)
  const file = (i: number): string => path.join(root, 'css', `s${i}.css`)
  for (const i of ids)
    await writeFile(file(i), options.initial(i))
  await writeFile(path.join(root, 'index.html'), `<!doctype html><html><head><meta charset="utf-8"><title>${options.sheets} sheets</title>
${ids.map(i => `<link rel="stylesheet" href="/css/s${i}.css">`).join('\n')}
<script src="%LIVE%/__live_assets/client.js"></script></head>
<body>${ids.map(i => `<div id="s${i}">${i}</div>`).join('')}</body></html>`)

  const pages = await startPageServer({ root })
  cleanup(() => pages.close())
  const live = await createLiveServer({ port: 0, logger: silentLogger, ...options.live, allowedOrigins: [pages.url], watch: { cwd: root, paths: 'css/**/*.css', root } })
  cleanup(() => live.close())
  pages.liveOrigin = options.between ? await options.between(live) : live.url
  const tabs: LivePage[] = []
  const context = options.sameBrowser ? await (await getBrowser()).newContext() : undefined
  if (context)
    cleanup(() => context.close())
  for (let t = 0; t < options.tabs; t++) {
    const tab = await openPage(`${pages.url}/index.html`, { context })
    cleanup(() => tab.close())
    tabs.push(tab)
  }
  return {
    root,
    pages,
    live,
    tabs,
    file,
    async waitForColors(colors, timeout) {
      await Promise.all(tabs.map(tab => tab.page.waitForFunction(want =>
        want.every((color, i) => getComputedStyle(document.getElementById(`s${i}`)!).color === color), colors, { timeout, polling: 500 })))
    },
  }
}
