import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { extname, join, normalize } from 'node:path'

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void

/** Answers a request itself (returns true), or lets the static files answer it. */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>

export interface PageServerOptions {
  /** Directory of the pages and stylesheets. */
  root: string
  /** live-assets mounted in front of the files: the same-origin setup. */
  middleware?: Middleware
  /** Origin of a live-assets server on another port, written into pages at `%LIVE%`. */
  liveOrigin?: string
  /** A script run first in every page, before anything else in its `<head>`. */
  head?: string
  /** `Cache-Control` of pages (default `no-store`) and of stylesheets and images (default `max-age=3600`). */
  cache?: { pages?: string, assets?: string }
  /** More headers of every page (HTML), e.g. a `Content-Security-Policy`. */
  headers?: Record<string, string>
}

export interface PageRequest {
  path: string
  search: URLSearchParams
}

export interface PageServer {
  /** e.g. `http://127.0.0.1:54321`. */
  url: string
  /** Written into pages at `%LIVE%`: the origin of a live-assets server on another port, or ``. */
  liveOrigin: string
  /** Every request, in order. */
  requests: PageRequest[]
  /** How many requests reached `path` (any query). */
  count: (path: string) => number
  /** Adds a route in front of everything; returns a function that removes it. */
  route: (route: Route) => () => void
  /** Holds `path`'s answers with our cache-busting parameter for `ms`: a slow stylesheet. */
  slow: (path: string, ms: number) => void
  close: () => Promise<void>
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

/**
 * A plain node:http page server on 127.0.0.1, port 0. Stylesheets and images are served with a long
 * `max-age`, as many static servers do: only a URL the browser has never fetched is fetched again,
 * so a client that forgets to cache-bust fails the tests instead of passing by luck.
 */
export async function startPageServer({ root, middleware, liveOrigin = '', head, cache = {}, headers = {} }: PageServerOptions): Promise<PageServer> {
  const requests: PageRequest[] = []
  const routes: Route[] = []
  const live = { origin: liveOrigin }
  const delays = new Map<string, number>()

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://page.test')
    requests.push({ path: url.pathname, search: url.searchParams })
    for (const route of [...routes]) {
      if (await route(req, res, url))
        return
    }
    const serveFile = async (): Promise<void> => {
      const delay = url.searchParams.has('la') ? delays.get(url.pathname) : undefined
      if (delay)
        await new Promise(resolve => setTimeout(resolve, delay))
      const file = normalize(join(root, url.pathname === '/' ? 'index.html' : url.pathname))
      if (!file.startsWith(root))
        return void res.writeHead(403).end()
      try {
        let body: string | Uint8Array = await readFile(file)
        const type = TYPES[extname(file)] ?? 'application/octet-stream'
        if (type.startsWith('text/html')) {
          body = new TextDecoder().decode(body).replaceAll('%LIVE%', live.origin)
          if (head)
            body = body.replace('<head>', `<head><script>${head}</script>`)
        }
        res.writeHead(200, {
          'Content-Type': type,
          'Cache-Control': /^(?:text\/css|image\/)/.test(type) ? cache.assets ?? 'max-age=3600' : cache.pages ?? 'no-store',
          ...type.startsWith('text/html') && headers,
        })
        res.end(body)
      }
      catch {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found')
      }
    }
    if (middleware)
      middleware(req, res, () => void serveFile())
    else
      await serveFile()
  })
  // Keep-alive sockets and open streams must not keep close() waiting.
  server.keepAliveTimeout = 100
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    get liveOrigin() {
      return live.origin
    },
    set liveOrigin(origin) {
      live.origin = origin
    },
    requests,
    count: path => requests.filter(r => r.path === path).length,
    route(route) {
      routes.unshift(route)
      return () => void routes.splice(routes.indexOf(route), 1)
    },
    slow: (path, ms) => void delays.set(path, ms),
    close: () => new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}
