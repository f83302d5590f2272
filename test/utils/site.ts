import type { Handler, LiveAssetsOptions, LiveServer, LiveServerWatchOptions } from '@live-assets/core'
import type { LivePage, OpenPageOptions } from './live-page'
import type { PageServer, PageServerOptions } from './page-server'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createHandler, createLiveServer, silentLogger } from '@live-assets/core'
import { afterAll, afterEach } from 'vitest'
import { openPage, reportDurations } from './live-page'
import { startPageServer } from './page-server'

/** The client's fixture pages and stylesheets. */
export const clientFixtures = fileURLToPath(new URL('../client/fixtures', import.meta.url))

export interface SiteOptions {
  /** Directory of fixture pages and stylesheets; copied to a temp dir first. */
  fixtures?: string
  /** Options of the live-assets handler or server. */
  live?: LiveAssetsOptions
  /**
   * `same-origin`: live-assets mounted in the page server. `cross-origin`: a standalone live server
   * on its own port beside the page server, with the page's origin in `allowedOrigins`.
   */
  mode?: 'same-origin' | 'cross-origin'
  /** Cross-origin mode: the live server watches the temp copy (`cwd` is set to it). */
  watch?: LiveServerWatchOptions
  /** Options of the page server beside its root and the live-assets middleware. */
  pages?: Pick<PageServerOptions, 'head' | 'cache' | 'headers'>
}

export interface Site {
  page: PageServer
  /** The handler answering `/__live_assets/*` right now (a restart replaces it). */
  readonly handler: Handler
  /** Publishes through the current handler. */
  publish: (event: string, data?: unknown) => Promise<string>
  /** Cross-origin mode: stops the live server, keeping the page server up. */
  stopLive: () => Promise<void>
  /** Cross-origin mode: starts a new live server (a new epoch) on the same port. */
  startLive: () => Promise<void>
  /** Rewrites a file of the temp copy. */
  write: (path: string, content: string) => Promise<void>
  /** URL of a page on the page server. */
  url: (path: string) => string
  /** Requests for `path` that carry the client's cache-busting parameter: its own re-fetches. */
  refetches: (path: string) => number
  close: () => Promise<void>
}

/** A temp copy of the fixtures, served by a page server, with live-assets beside or inside it. */
export async function startSite({ fixtures = clientFixtures, live: liveOptions = {}, mode = 'same-origin', watch, pages }: SiteOptions = {}): Promise<Site> {
  const root = await mkdtemp(join(tmpdir(), 'live-assets-client-'))
  await cp(fixtures, root, { recursive: true })
  const options: LiveAssetsOptions = { logger: silentLogger, ...liveOptions }
  let live: LiveServer | undefined
  let handler: Handler | undefined
  let page: PageServer
  let port = 0

  async function startLive(): Promise<void> {
    live = await createLiveServer({ ...options, port, allowedOrigins: [page.url], watch: watch && { ...watch, cwd: root } })
    port = live.port
    page.liveOrigin = live.url
  }

  if (mode === 'same-origin') {
    handler = createHandler(options)
    page = await startPageServer({ ...pages, root, middleware: handler })
  }
  else {
    page = await startPageServer({ ...pages, root })
    await startLive()
  }

  return {
    page,
    get handler() {
      return live?.handler ?? handler!
    },
    publish(event, data) {
      return (live?.handler ?? handler!).publish(event, data)
    },
    startLive,
    async stopLive() {
      await live?.close()
      live = undefined
    },
    write: (path, content) => writeFile(join(root, path), content),
    url: path => page.url + path,
    refetches: path => page.requests.filter(r => r.path === path && r.search.has('la')).length,
    async close() {
      await live?.close()
      handler?.close()
      await page.close()
      await rm(root, { recursive: true, force: true })
    },
  }
}

export interface OpenOptions extends SiteOptions {
  /** Runs once the site is up, before the page opens: install routes here. */
  before?: (site: Site) => void
  page?: OpenPageOptions
}

export interface Sites {
  /** Starts a site and opens `path` on it. */
  open: (path: string, options?: OpenOptions) => Promise<{ site: Site, live: LivePage }>
  /** Opens one more page of a running site. */
  another: (site: Site, path: string, options?: OpenPageOptions) => Promise<LivePage>
}

/**
 * For a test file: sites and pages opened through it are torn down after each test, and the file's
 * swap durations are printed at the end under `label`.
 */
export function useSites(label: string): Sites {
  const pages: LivePage[] = []
  const sites: Site[] = []
  afterEach(async () => {
    await Promise.all(pages.splice(0).map(live => live.close()))
    await Promise.all(sites.splice(0).map(site => site.close()))
  })
  afterAll(() => reportDurations(label))
  const another: Sites['another'] = async (site, path, options) => {
    const live = await openPage(site.url(path), options)
    pages.push(live)
    return live
  }
  return {
    async open(path, { before, page, ...options } = {}) {
      const site = await startSite(options)
      sites.push(site)
      before?.(site)
      return { site, live: await another(site, path, page) }
    },
    another,
  }
}
