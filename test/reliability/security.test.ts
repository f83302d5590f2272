import type { LiveServer } from '@live-assets/core'
import type { Page } from 'playwright-core'
import type { PageServer } from '../utils/page-server'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { createLiveServer, silentLogger } from '@live-assets/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startCli } from '../backend/utils'
import { getBrowser } from '../utils/browser'
import { startPageServer } from '../utils/page-server'
import { killAll } from '../utils/process'
import { useSites } from '../utils/site'
import { boundAddresses } from './stream'

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url))

describe('a page on a foreign origin', () => {
  let live: LiveServer
  let pages: PageServer

  beforeAll(async () => {
    pages = await startPageServer({ root: fixtures })
  })
  afterEach(() => live?.close())
  afterAll(() => pages?.close())

  /** What a script on `pageUrl` gets when it tries to read the stream and the stats. */
  async function attempt(pageUrl: string, loopbackOrigins: boolean): Promise<Record<string, string>> {
    live = await createLiveServer({ port: 0, logger: silentLogger, allowedOrigins: ['http://localhost:3000'], loopbackOrigins })
    const context = await (await getBrowser()).newContext()
    try {
      const page: Page = await context.newPage()
      await page.goto(pageUrl)
      return await page.evaluate(async (base) => {
        // The first chunk only: a stream that opens never ends.
        const read = (url: string, init?: RequestInit): Promise<string> => fetch(url, init).then(async (r) => {
          const reader = r.body?.getReader()
          const first = await reader?.read()
          await reader?.cancel()
          return `read ${r.type} ${r.status} ${new TextDecoder().decode(first?.value).slice(0, 40)}`
        }, (e: Error) => `rejected ${e.name}`)
        const eventSource = await new Promise<string>((resolve) => {
          const source = new EventSource(`${base}/events`)
          source.onopen = () => {
            resolve('open')
            source.close()
          }
          source.onerror = () => {
            resolve(`error, readyState ${source.readyState}`)
            source.close()
          }
        })
        return {
          eventSource,
          fetchEvents: await read(`${base}/events`),
          fetchStats: await read(`${base}/stats`),
          withCredentials: await new Promise<string>((resolve) => {
            const source = new EventSource(`${base}/events`, { withCredentials: true })
            source.onopen = () => {
              resolve('open')
              source.close()
            }
            source.onerror = () => {
              resolve(`error, readyState ${source.readyState}`)
              source.close()
            }
          }),
          // Last: the one way to reach the stream without CORS, which only ever gives an opaque, empty answer.
          noCors: await read(`${base}/events`, { mode: 'no-cors' }),
        }
      }, `${live.url}/__live_assets`)
    }
    finally {
      await context.close()
    }
  }

  it.each([
    // A no-cors request carries no Origin; from the same site it is answered, and Chromium's ORB cuts the stream.
    ['another port of the same host (same-site), loopbackOrigins: false', () => `${pages.url}/blank.html`, false, 1],
    ['another site (*.localhost), loopbackOrigins: false', () => `${pages.url.replace('127.0.0.1', 'evil.localhost')}/blank.html`, false, 0],
    // The browser maps *.test to 127.0.0.1 (test/utils/global-setup.ts): a page on a name that is not a loopback one.
    ['a non-loopback origin (evil.test), by default', () => `${pages.url.replace('127.0.0.1', 'evil.test')}/blank.html`, true, 0],
  ])('cannot read the stream from %s: EventSource errors, fetch is rejected, no subscriber stays', async (_, url, loopbackOrigins, noCorsStreams) => {
    const outcome = await attempt(url(), loopbackOrigins)
    expect(outcome).toEqual({
      eventSource: 'error, readyState 2',
      fetchEvents: 'rejected TypeError',
      fetchStats: 'rejected TypeError',
      withCredentials: 'error, readyState 2',
      noCors: 'read opaque 0 ',
    })
    await expect.poll(() => live.handler.broadcaster.stats().subscribers, { timeout: 5000 }).toBe(0)
    const { peakSubscribers } = live.handler.broadcaster.stats()
    expect(peakSubscribers).toBeLessThanOrEqual(noCorsStreams)
    console.info(`[reliability] foreign page ${url()}: ${JSON.stringify(outcome)}; streams opened ${peakSubscribers} (no-cors only), left open 0`)
  })

  it('a page on another loopback port reads the stream and the stats by default, never with credentials', async () => {
    const outcome = await attempt(`${pages.url}/blank.html`, true)
    expect(outcome).toMatchObject({
      eventSource: 'open',
      fetchEvents: expect.stringMatching(/^read cors 200 retry: 1000\n/),
      fetchStats: expect.stringMatching(/^read cors 200 \{"subscribers"/),
      withCredentials: 'error, readyState 2',
    })
    await expect.poll(() => live.handler.broadcaster.stats().subscribers, { timeout: 5000 }).toBe(0)
  })
})

describe('event payloads', () => {
  const sites = useSites('reliability: security')

  it('never points a stylesheet at another origin or a javascript:, data: or protocol-relative URL', async () => {
    const { site, live } = await sites.open('/index.html', { fixtures })
    const foreign: string[] = []
    const own = [site.page.url, new URL(site.page.url).origin]
    live.page.on('request', (request) => {
      const url = new URL(request.url())
      if (!own.includes(url.origin))
        foreign.push(request.url())
    })
    let dialogs = 0
    live.page.on('dialog', (dialog) => {
      dialogs++
      void dialog.dismiss()
    })
    const hostile = ['https://evil.example/css/one.css', '//evil.example/css/two.css', '/\\evil.example/css/three.css', 'javascript:alert(1)//one.css', 'data:text/css,%23one%7Bcolor:red%7D', 'http://127.0.0.1:1/css/one.css', 'blob:https://evil.example/x']
    site.publish('reloadCSS', { files: hostile })
    site.publish('reloadCSS', { files: [], renamed: hostile.map((to, i) => ({ from: `/css/${['one', 'two', 'three'][i % 3]}.css`, to })) })
    site.publish('reloadCSS', { files: ['/css/two.css'], renamed: [{ from: '/css/one.css', to: 'https://evil.example/one.css' }, { from: 'https://evil.example/three.css', to: '/css/three.css' }] })
    // A marker: everything above has been handled once this one is swapped.
    site.publish('reloadCSS', { files: ['/css/three.css'] })
    await expect.poll(async () => (await live.events('after-swap')).flatMap(d => d.files).some((f: string) => f.endsWith('/css/three.css')), { timeout: 10_000 }).toBe(true)
    const hrefs = await live.page.evaluate(() => [...document.querySelectorAll('link')].map(l => l.href))
    expect(hrefs.map(href => new URL(href).origin)).toEqual([site.page.url, site.page.url, site.page.url])
    expect(hrefs.map(href => new URL(href).pathname)).toEqual(['/css/one.css', '/css/two.css', '/css/three.css'])
    expect(foreign).toEqual([])
    expect(dialogs).toBe(0)
    expect(site.refetches('/css/one.css')).toBe(0)
    expect(await live.sentinel()).toBe(live.firstSentinel)
    console.info(`[reliability] ${hostile.length} hostile paths as files and as renamed targets: 0 requests off the page's origin, 0 dialogs, links unchanged`)
  })
})

describe('listening', () => {
  let dir: string | undefined
  afterEach(async () => {
    killAll()
    if (dir)
      await rm(dir, { recursive: true, force: true })
  })

  it('the standalone server listens on loopback only, unless host: true opts in', async () => {
    const server = await createLiveServer({ port: 0, logger: silentLogger })
    const everywhere = await createLiveServer({ port: 0, logger: silentLogger, host: true })
    try {
      // The bound address is read from the kernel's socket table: no traffic to a non-loopback address is sent.
      console.info(`[reliability] bound addresses: default ${JSON.stringify(boundAddresses(server.port))}, host: true ${JSON.stringify(boundAddresses(everywhere.port))}`)
      if (process.platform === 'linux') {
        expect(boundAddresses(server.port)).toEqual(['127.0.0.1'])
        expect(boundAddresses(everywhere.port)).toEqual(['0.0.0.0'])
      }
    }
    finally {
      await server.close()
      await everywhere.close()
    }
  })

  it('the live-assets command listens on loopback only by default', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'live-assets-cli-bind-'))
    await writeFile(path.join(dir, 'app.css'), 'body {}')
    const cli = await startCli(['--watch', '*.css', '--origin', 'http://localhost:3000', '--port', '0'], dir)
    expect(cli.endpoints).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
    const addresses = boundAddresses(cli.port)
    console.info(`[reliability] live-assets --port 0: bound to ${JSON.stringify(addresses)}`)
    if (process.platform === 'linux')
      expect(addresses).toEqual(['127.0.0.1'])
    await cli.stop()
  })
})
