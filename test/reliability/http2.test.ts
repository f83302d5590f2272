import type { Handler } from '@live-assets/core'
import type { IncomingHttpHeaders } from 'node:http2'
import type { ViteDevServer } from 'vite'
import type { Stream } from './stream'
import { connect } from 'node:http2'
import path from 'node:path'
import { createParser } from 'eventsource-parser'
import { generate } from 'selfsigned'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { edit, loadFrom } from '../dev-server/harness'
import { getBrowser } from '../utils/browser'
import { copyPlayground, removeCopy } from '../utils/playground'
import { poll } from '../utils/poll'
import { freePort, measureLatency, quantile, summary } from './stream'

/** The event stream over an HTTP/2 session, read like the HTTP/1.1 one in stream.ts. */
function openH2Stream(origin: string, path: string): Promise<Stream & { session: ReturnType<typeof connect> }> {
  return new Promise((resolve, reject) => {
    const session = connect(origin, { rejectUnauthorized: false })
    session.on('error', reject)
    const req = session.request({ ':path': path, 'accept': 'text/event-stream', 'accept-encoding': 'gzip, deflate, br' })
    req.on('error', reject)
    req.on('response', (headers: IncomingHttpHeaders) => {
      const stream = {
        session,
        status: Number(headers[':status']),
        headers,
        events: [] as Stream['events'],
        endedAt: undefined as number | undefined,
        close: () => {
          req.close()
          session.close()
        },
      }
      const parser = createParser({ onEvent: event => stream.events.push({ ...event, at: performance.now() }) })
      req.setEncoding('utf8').on('data', (chunk: string) => parser.feed(chunk))
      req.on('close', () => stream.endedAt ??= performance.now())
      resolve(stream)
    })
    req.end()
  })
}

describe('over HTTP/2: Vite with HTTPS', () => {
  let dir: string
  let vite: ViteDevServer
  let origin: string

  beforeAll(async () => {
    dir = await copyPlayground('vite')
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
    })
    const { createServer } = await loadFrom<typeof import('vite')>(dir, 'vite')
    vite = await createServer({
      root: dir,
      configFile: path.join(dir, 'vite.config.ts'),
      cacheDir: path.join(dir, '.vite'),
      logLevel: 'warn',
      // With `https` (and no proxy) Vite serves HTTP/2, falling back to HTTP/1.1 for clients that ask for it.
      server: { host: '127.0.0.1', port: await freePort(), strictPort: true, https: { key: pems.private, cert: pems.cert } },
    })
    await vite.listen()
    origin = `https://localhost:${(vite.httpServer!.address() as { port: number }).port}`
  })
  afterAll(async () => {
    await vite?.close()
    await removeCopy(dir)
  })

  it('streams without a Connection header and delivers every event within 100 ms', async () => {
    const stream = await openH2Stream(origin, '/__live_assets/events')
    try {
      expect(stream.status).toBe(200)
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8')
      expect(stream.headers.connection).toBeUndefined()
      expect(stream.headers['content-encoding']).toBeUndefined()
      await poll(() => stream.events.some(e => e.event === 'hello'), { what: 'hello over HTTP/2', timeout: 15_000 })
      const handler = vite.middlewares.stack.map(layer => layer.handle).find(h => typeof (h as Partial<Handler>).publish === 'function') as Handler
      const latencies = await measureLatency(stream, handler.publish)
      console.info(`[reliability] HTTP/2 (Vite https), 50 events: ${summary(latencies)}`)
      const sorted = [...latencies].sort((a, b) => a - b)
      expect(quantile(sorted, 0.95)).toBeLessThan(100)
      expect(sorted.at(-1)).toBeLessThan(1000)
    }
    finally {
      stream.close()
    }
  })

  it('swaps a stylesheet in Chromium over an h2 stream', async () => {
    const context = await (await getBrowser()).newContext({ ignoreHTTPSErrors: true })
    try {
      const page = await context.newPage()
      const cdp = await context.newCDPSession(page)
      const protocols: string[] = []
      cdp.on('Network.responseReceived', ({ response }) => {
        if (response.url.includes('/__live_assets/events'))
          protocols.push(response.protocol ?? '')
      })
      await cdp.send('Network.enable')
      await page.addInitScript(() => {
        // The page then leads and holds the stream itself (in neither a shared worker nor a stream worker of its own),
        // where this CDP session sees it.
        delete (window as { SharedWorker?: unknown }).SharedWorker
        delete (window as { Worker?: unknown }).Worker
        const w = window as unknown as { __connected: number, __swaps: number, __sentinel: number }
        w.__connected = 0
        w.__swaps = 0
        w.__sentinel = Math.random()
        addEventListener('live-assets:connect', () => w.__connected++)
        addEventListener('live-assets:after-swap', () => w.__swaps++)
      })
      await page.goto(`${origin}/`)
      await page.waitForFunction(() => (window as unknown as { __connected: number }).__connected > 0, undefined, { timeout: 20_000 })
      const sentinel = await page.evaluate(() => (window as unknown as { __sentinel: number }).__sentinel)
      await edit(dir, 'public/public.css', 'rgb(150, 30, 150)', 'rgb(150, 30, 151)')
      await page.waitForFunction(() => getComputedStyle(document.querySelector('#public')!).color === 'rgb(150, 30, 151)', undefined, { timeout: 20_000 })
      expect(await page.evaluate(() => (window as unknown as { __swaps: number }).__swaps)).toBe(1)
      expect(await page.evaluate(() => (window as unknown as { __sentinel: number }).__sentinel)).toBe(sentinel)
      expect(protocols).toEqual(['h2'])
      console.info(`[reliability] Chromium over Vite https: event stream protocol ${protocols.join(', ')}, public.css swapped without reload`)
    }
    finally {
      await context.close()
    }
  })
})
