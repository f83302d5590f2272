import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Buffer } from 'node:buffer'
import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import path from 'node:path'

/**
 * Stand-ins for the backends of the CLI README's recipes: each serves a project laid out as that backend lays it out,
 * under the URLs, names and cache headers that the backend gives it in development, and renders its layout on every
 * request (templates are read fresh in development). Only what a page and its stylesheets see is imitated.
 */
export interface StandIn {
  /** e.g. `http://127.0.0.1:43121` */
  url: string
  close: () => Promise<void>
}

/** The backend playground's asset pipeline (playground/backend/pipeline.js), whose Propshaft names its e2e tests run against. */
interface Pipeline {
  compiled: (assets: string, name: string, fingerprint: 'propshaft') => Promise<{ name: string, content: string }>
  undigested: (requested: string) => string
}
const pipeline = import(new URL('../../playground/backend/pipeline.js', import.meta.url).href) as Promise<Pipeline>

type Handler = (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void>

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8' }

async function serve(handler: Handler): Promise<StandIn> {
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://stand-in.invalid')
    handler(req, res, decodeURIComponent(pathname)).catch((error: NodeJS.ErrnoException) => {
      const missing = error.code === 'ENOENT' || error.code === 'EISDIR'
      send(res, missing ? 404 : 500, { 'Content-Type': 'text/plain' }, missing ? 'not found' : String(error))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer = ''): void {
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) })
  res.end(body)
}

/** `root/relative`, or undefined when `relative` climbs out of `root`. */
function inside(root: string, relative: string): string | undefined {
  const file = path.join(root, relative)
  return file.startsWith(root + path.sep) ? file : undefined
}

async function page(res: ServerResponse, file: string, render: (template: string) => string | Promise<string>): Promise<void> {
  send(res, 200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }, await render(await readFile(file, 'utf8')))
}

/** A static file with `Last-Modified` (and `ETag` with `etag`), answering 304 to a matching conditional request. */
async function file(req: IncomingMessage, res: ServerResponse, name: string | undefined, headers: Record<string, string>, etag = false): Promise<void> {
  if (!name)
    return send(res, 403, { 'Content-Type': 'text/plain' }, 'forbidden')
  const [body, info] = await Promise.all([readFile(name), stat(name)])
  const modified = new Date(Math.floor(info.mtimeMs / 1000) * 1000).toUTCString()
  const tag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`
  const fresh = etag ? req.headers['if-none-match'] === tag : req.headers['if-modified-since'] === modified
  const all = { 'Content-Type': TYPES[path.extname(name)] ?? 'application/octet-stream', 'Last-Modified': modified, ...(etag && { ETag: tag }), ...headers }
  if (fresh)
    return send(res, 304, all)
  send(res, 200, all, body)
}

/**
 * Rails with Propshaft (`bin/rails server`): `stylesheet_link_tag "application"` renders
 * `/assets/application-<digest>.css` for `app/assets/stylesheets/application.css`; an old digest answers 404, the
 * current one is cached for a year.
 */
export function rails(dir: string): Promise<StandIn> {
  const stylesheets = path.join(dir, 'app/assets/stylesheets')
  return serve(async (_, res, pathname) => {
    const { compiled, undigested } = await pipeline
    if (pathname === '/') {
      return page(res, path.join(dir, 'app/views/layouts/application.html.erb'), async (erb) => {
        const links = await Promise.all([...erb.matchAll(/<%= stylesheet_link_tag "([^"]+)" %>/g)].map(async ([, name]) =>
          `<link rel="stylesheet" href="/assets/${(await compiled(stylesheets, `${name}.css`, 'propshaft')).name}">`))
        return erb.replace(/<%= stylesheet_link_tag "[^"]+" %>/g, () => links.shift()!)
      })
    }
    if (!pathname.startsWith('/assets/'))
      return send(res, 404, { 'Content-Type': 'text/plain' }, 'not found')
    const requested = pathname.slice('/assets/'.length)
    if (!inside(stylesheets, requested))
      return send(res, 403, { 'Content-Type': 'text/plain' }, 'forbidden')
    const asset = await compiled(stylesheets, undigested(requested), 'propshaft')
    if (asset.name !== requested)
      return send(res, 404, { 'Content-Type': 'text/plain' }, `not found: ${requested}`)
    send(res, 200, { 'Content-Type': TYPES['.css'], 'Cache-Control': 'public, max-age=31536000, immutable' }, asset.content)
  })
}

/**
 * Django's `runserver` with `django.contrib.staticfiles`: `{% static 'myapp/site.css' %}` is `/static/myapp/site.css`,
 * found in `<app>/static/`, sent with `Last-Modified` and no `Cache-Control`.
 */
export function django(dir: string, app = 'myapp'): Promise<StandIn> {
  const statics = path.join(dir, app, 'static')
  return serve(async (req, res, pathname) => {
    if (pathname === '/')
      return page(res, path.join(dir, app, 'templates/base.html'), html => html.replace(/\{% static '([^']+)' %\}/g, (_, name: string) => `/static/${name}`))
    if (!pathname.startsWith('/static/'))
      return send(res, 404, { 'Content-Type': 'text/plain' }, 'not found')
    await file(req, res, inside(statics, pathname.slice('/static/'.length)), {})
  })
}

/**
 * Laravel (`php artisan serve`, document root `public/`) with Laravel Mix: `{{ mix('css/app.css') }}` is
 * `/css/app.css?id=<content hash>`, and the file is served whatever the `id`.
 */
export function laravel(dir: string): Promise<StandIn> {
  const publicDir = path.join(dir, 'public')
  return serve(async (req, res, pathname) => {
    if (pathname === '/') {
      return page(res, path.join(dir, 'resources/views/layouts/app.blade.php'), async (blade) => {
        const ids = await Promise.all([...blade.matchAll(/\{\{ mix\('([^']+)'\) \}\}/g)].map(async ([, name]) =>
          createHash('md5').update(await readFile(path.join(publicDir, name))).digest('hex').slice(0, 20)))
        return blade.replace(/\{\{ mix\('([^']+)'\) \}\}/g, (_, name: string) => `/${name}?id=${ids.shift()}`)
      })
    }
    await file(req, res, inside(publicDir, pathname), {})
  })
}

/** Express with `app.use('/static', express.static('public'))`: `ETag`, `Last-Modified`, `max-age=0`. */
export function express(dir: string): Promise<StandIn> {
  const publicDir = path.join(dir, 'public')
  return serve(async (req, res, pathname) => {
    if (pathname === '/')
      return page(res, path.join(dir, 'views/layout.ejs'), ejs => ejs)
    if (!pathname.startsWith('/static/'))
      return send(res, 404, { 'Content-Type': 'text/plain' }, 'not found')
    await file(req, res, inside(publicDir, pathname.slice('/static/'.length)), { 'Cache-Control': 'public, max-age=0' }, true)
  })
}

/** A static file server such as `python3 -m http.server`: `root/` at `/`, `index.html` for a folder. */
export function staticSite(root: string): Promise<StandIn> {
  return serve(async (req, res, pathname) => {
    await file(req, res, inside(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname), {})
  })
}
