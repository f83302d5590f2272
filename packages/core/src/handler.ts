import type { ClientConfig, Publish, PublishRequest } from '@live-assets/protocol'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Broadcaster } from './broadcaster'
import type { LiveAssetsOptions, ResolvedOptions } from './options'
import { Buffer } from 'node:buffer'
import { createHash, timingSafeEqual } from 'node:crypto'
import { LAST_EVENT_ID_PARAM, ROUTES } from '@live-assets/protocol'
import { version } from '../package.json'
import { createBroadcaster } from './broadcaster'
import { renderClient, renderClientExtras } from './client-script'
import { isResolvedOptions, resolveOptions } from './options'
import { checkOrigin, hostname, isAllowedHost } from './security'

export type NextFunction = (error?: unknown) => void

export interface Handler {
  /** Standard middleware: answers `<base>/*`, calls `next()` for everything else. */
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void
  readonly options: ResolvedOptions
  readonly broadcaster: Broadcaster
  /** Sends a named event with JSON data to every open page; returns its id. See {@link Broadcaster.publish}. */
  publish: Publish
  /** Resolves once the event bus is open; see {@link Broadcaster.ready}. */
  readonly ready: Promise<void>
  /** Ends every stream, stops timers and leaves the bus; safe to call twice. */
  close: () => Promise<void>
}

/** Names a published event may have: one short word, so it can never smuggle a line into the stream. */
const EVENT_NAME = /^[\w:.-]{1,64}$/
const RESERVED_EVENTS = new Set(['hello', 'ping'])
const MAX_PUBLISH_BYTES = 1024 * 1024
/** A flood of made-up origins or hosts must not fill the terminal or the memory. */
const MAX_REFUSALS_SAID = 50
let tokenPrinted = false

const METHODS: Record<string, string[]> = {
  [ROUTES.events]: ['GET', 'HEAD'],
  [ROUTES.client]: ['GET', 'HEAD'],
  [ROUTES.extras]: ['GET', 'HEAD'],
  [ROUTES.stats]: ['GET', 'HEAD'],
  [ROUTES.publish]: ['POST'],
}

/**
 * Creates the live-assets middleware. Mount it anywhere: Vite, webpack-dev-server, express or `node:http`.
 * Takes user options, or what `resolveOptions()` returned (used as it is, never resolved twice).
 */
export function createHandler(userOptions: LiveAssetsOptions | ResolvedOptions = {}): Handler {
  const options = isResolvedOptions(userOptions) ? userOptions : resolveOptions(userOptions)
  const { base, logger } = options
  const broadcaster = createBroadcaster({ ...options, version })
  const tokenDigest = sha256(options.token)
  let client: string | undefined
  let clientExtras: string | undefined

  if (options.tokenGenerated && !tokenPrinted) {
    tokenPrinted = true
    logger.info(`publish token for POST ${base}${ROUTES.publish}: ${options.token}`)
  }

  // Each refused host or origin is said once in the terminal: the browser cannot read a cross-origin 403.
  const refused = new Set<string>()
  function sayRefused(key: string, message: string): void {
    if (refused.has(key) || refused.size >= MAX_REFUSALS_SAID)
      return
    refused.add(key)
    logger.warn(message)
  }

  const handler = ((req, res, next) => {
    // Every request of a dev server passes here: leave the others without parsing their URL.
    if (!req.url?.startsWith(base))
      return next ? next() : reply(res, 404, 'not found')
    const url = new URL(req.url, 'http://x')
    const pathname = url.pathname
    if (pathname !== base && !pathname.startsWith(`${base}/`))
      return next ? next() : reply(res, 404, 'not found')
    const route = pathname.slice(base.length)

    const host = req.headers.host ?? req.headers[':authority'] as string | undefined
    if (!isAllowedHost(host, options.allowedHosts)) {
      const name = hostname(host ?? '')
      sayRefused(`host ${name}`, `refused a request for ${base}${route} with Host ${JSON.stringify(host ?? '')}: only loopback names are answered, so that no other site can reach this server through DNS. If you open the page under that name, allow it with allowedHosts: [${JSON.stringify(name)}] (CLI: --allowed-host ${name}).`)
      return reply(res, 403, `host ${JSON.stringify(String(req.headers.host ?? ''))} is not allowed: add it to allowedHosts.`)
    }

    const origin = req.headers.origin
    const verdict = checkOrigin(req, options.allowedOrigins, options.loopbackOrigins)
    // The client's scripts are public code: a cross-site <script src> carries no Origin to check.
    const publicScript = (route === ROUTES.client || route === ROUTES.extras) && !origin
    if (verdict === 'forbidden' && !publicScript) {
      if (origin)
        sayRefused(`origin ${origin}`, `refused ${base}${route} to a page on ${origin}: allow that origin with allowedOrigins: [${JSON.stringify(origin)}] (CLI: --origin ${origin}).`)
      return reply(res, 403, `origin ${JSON.stringify(String(origin ?? 'cross-site'))} is not allowed: add the page's origin to allowedOrigins.`)
    }
    if (verdict === 'allowed') {
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin!)
      res.setHeader('Vary', 'Origin')
    }

    const methods = METHODS[route]
    if (!methods)
      return reply(res, 404, `no endpoint ${route} under ${base}.`)
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', methods.join(', '))
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Last-Event-ID')
      res.setHeader('Allow', `${methods.join(', ')}, OPTIONS`)
      res.writeHead(204).end()
      return
    }
    if (!methods.includes(req.method ?? '')) {
      res.setHeader('Allow', `${methods.join(', ')}, OPTIONS`)
      return reply(res, 405, `${req.method} is not allowed on ${base}${route}; use ${methods.join(' or ')}.`)
    }

    switch (route) {
      case ROUTES.events: {
        if (req.method === 'HEAD') {
          res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform' }).end()
          return
        }
        const header = req.headers['last-event-id']
        const lastEventId = (typeof header === 'string' ? header : undefined) ?? url.searchParams.get(LAST_EVENT_ID_PARAM) ?? undefined
        return broadcaster.subscribe(req, res, lastEventId)
      }
      case ROUTES.client:
        return serveClient(req, res)
      case ROUTES.extras:
        return serveClientExtras(req, res)
      case ROUTES.stats:
        return send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(broadcaster.stats())}\n`, req.method === 'HEAD')
      case ROUTES.publish:
        return void receivePublish(req, res)
    }
  }) as Handler

  function serveClient(req: IncomingMessage, res: ServerResponse): void {
    const config: ClientConfig = { base, heartbeatMs: options.heartbeatMs, ...options.client }
    serveScript(req, res, () => client ??= renderClient(config))
  }

  /** What the client loads when a page first needs it (see ROUTES.extras). */
  function serveClientExtras(req: IncomingMessage, res: ServerResponse): void {
    serveScript(req, res, () => clientExtras ??= renderClientExtras())
  }

  function serveScript(req: IncomingMessage, res: ServerResponse, render: () => string): void {
    let code: string
    try {
      code = render()
    }
    catch (error) {
      logger.error(`could not load the browser client: ${(error as Error).message}`)
      return reply(res, 500, 'the browser client is missing: build @live-assets/client (pnpm build).')
    }
    res.setHeader('X-Content-Type-Options', 'nosniff')
    send(res, 200, 'text/javascript; charset=utf-8', code, req.method === 'HEAD')
  }

  async function receivePublish(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = req.headers.authorization ?? ''
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : ''
    // Compare digests of equal length so the time taken says nothing about the token.
    if (!timingSafeEqual(sha256(token), tokenDigest)) {
      res.setHeader('WWW-Authenticate', 'Bearer')
      return reply(res, 401, 'publish needs the header "Authorization: Bearer <token>"; the token is printed at startup.')
    }
    let body: PublishRequest
    try {
      body = JSON.parse(await readBody(req, MAX_PUBLISH_BYTES))
    }
    catch (error) {
      const tooLarge = (error as Error).message === 'too large'
      return reply(res, tooLarge ? 413 : 400, tooLarge
        ? `publish bodies are limited to ${MAX_PUBLISH_BYTES} bytes.`
        : 'publish expects a JSON body such as {"event":"reloadCSS","data":{"files":["/app.css"]}}.')
    }
    const event = body?.event
    if (typeof event !== 'string' || !EVENT_NAME.test(event) || RESERVED_EVENTS.has(event))
      return reply(res, 400, `publish needs "event": a name of letters, digits, _ : . or - other than hello and ping; got ${JSON.stringify(event)?.slice(0, 80)}.`)
    let id: string
    try {
      id = await broadcaster.publish(event, body.data)
    }
    catch (error) {
      return reply(res, 503, `could not publish: ${(error as Error).message.replace(/^\[live-assets\] /, '')}`)
    }
    send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify({ id })}\n`)
  }

  return Object.assign(handler, {
    options,
    broadcaster,
    ready: broadcaster.ready,
    publish: broadcaster.publish,
    close: broadcaster.close,
  })
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

function send(res: ServerResponse, status: number, type: string, body: string, headOnly = false): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-cache',
  })
  res.end(headOnly ? undefined : body)
}

/** Every error answer is plain text that names the package and says what to do. */
function reply(res: ServerResponse, status: number, message: string): void {
  send(res, status, 'text/plain; charset=utf-8', `[live-assets] ${message}\n`)
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        // Answer at once and discard the rest instead of buffering it.
        reject(new Error('too large'))
        req.removeAllListeners('data').resume()
      }
      else {
        chunks.push(chunk)
      }
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}
