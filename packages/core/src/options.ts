import type { FallbackMode } from '@live-assets/protocol'
import type { Bus } from './bus'
import type { Logger } from './logger'
import { randomBytes } from 'node:crypto'
import { DEFAULT_BASE, DEFAULT_HEARTBEAT_MS } from '@live-assets/protocol'
import { memoryBus } from './bus'
import { createConsoleLogger } from './logger'

export interface ClientOptions {
  /**
   * What the browser does when a `reloadCSS` matches no stylesheet on the page:
   * reload every stylesheet, reload the page, or nothing.
   * @default 'stylesheets'
   */
  fallback?: FallbackMode
  /**
   * Show build errors in an overlay on the page.
   * @default true
   */
  overlay?: boolean
  /**
   * Log every event and match decision in the browser console.
   * @default false
   */
  debug?: boolean
}

export interface LiveAssetsOptions {
  /**
   * Path prefix of every endpoint (`<base>/events`, `<base>/client.js`, ...).
   * @default '/__live_assets'
   */
  base?: string
  /**
   * Time between two `ping` events, in ms. The client reconnects after 2.5 heartbeats of silence.
   * @default 45000
   */
  heartbeatMs?: number
  /**
   * How long the browser waits before its own reconnect attempt (the `retry:` field), in ms.
   * @default 1000
   */
  retryMs?: number
  /**
   * How many past events are kept to answer `Last-Event-ID` after a short disconnect.
   * @default 100
   */
  replay?: number
  /**
   * A subscriber whose unsent bytes pass this many is dropped: a client that stops reading can
   * never grow the server's memory without bound.
   * @default 1048576
   */
  maxBufferedBytes?: number
  /**
   * Refuse new streams with `503` and `Retry-After` beyond this many.
   * @default Infinity
   */
  maxSubscribers?: number
  /**
   * Extra `Host` header values to accept (`localhost`, `*.localhost`, `127.0.0.1` and `[::1]` always are).
   * A leading dot allows subdomains: `.example.test`. `true` accepts any host (not recommended).
   * @default []
   */
  allowedHosts?: readonly string[] | true
  /**
   * Page origins allowed to open the stream cross-origin besides the loopback ones (see `loopbackOrigins`), e.g.
   * `http://myapp.test` for a backend page reached under that name, or a LAN address. They are answered with their
   * exact origin, never `*`.
   * @default []
   */
  allowedOrigins?: readonly string[]
  /**
   * Accept pages on any loopback origin (`http(s)://localhost`, `*.localhost`, `127.0.0.1`, `[::1]`, any port) without
   * listing them, as Vite's default `server.cors` does: pages of servers on this machine. `false` accepts only the
   * page's own origin and `allowedOrigins`.
   * @default true
   */
  loopbackOrigins?: boolean
  /**
   * Bearer token for `POST <base>/publish`.
   * @default a random token, the same for the whole process, printed once
   */
  token?: string
  /** Options filled into the served browser client. */
  client?: ClientOptions
  /**
   * Where messages go.
   * @default console, prefixed with `[live-assets]`
   */
  logger?: Logger
  /**
   * Where events get their ids and are kept for resumes: this process's memory, or a log that several processes
   * share, so that pages on any of them see every event (`redisBus({ url })` of `@live-assets/redis`).
   * @default memoryBus()
   */
  bus?: Bus
  /**
   * When the bus cannot be reached at start: `false` serves this process's own pages from memory and says so (a dev
   * server keeps working); `true` makes `createLiveServer()` reject (the CLI exits).
   * @default false
   */
  requireBus?: boolean
}

/** What `resolveOptions()` makes of {@link LiveAssetsOptions}: every default filled in, frozen. */
export interface ResolvedOptions extends ResolvedEndpointOptions {
  readonly token: string
  /** No `token` was given: the process's random one is used, and printed once. */
  readonly tokenGenerated: boolean
  readonly logger: Logger
  readonly bus: Bus
  readonly requireBus: boolean
}

/** Every option but the token, the logger and the bus, validated: what a plugin checks at config time, before any server. */
export interface ResolvedEndpointOptions {
  readonly base: string
  readonly heartbeatMs: number
  readonly retryMs: number
  readonly replay: number
  readonly maxBufferedBytes: number
  readonly maxSubscribers: number
  readonly allowedHosts: readonly string[] | true
  readonly allowedOrigins: readonly string[]
  readonly loopbackOrigins: boolean
  readonly client: Readonly<Required<ClientOptions>>
}

export type EndpointOptions = Omit<LiveAssetsOptions, 'token' | 'logger' | 'bus' | 'requireBus'>

const FALLBACKS: FallbackMode[] = ['stylesheets', 'page', 'none']

/** One generated token per process, so a dev-server restart keeps the token a tool was given. */
let processToken: string | undefined

/** The objects `resolveOptions()` made: `createHandler()` takes them as they are instead of resolving them again. */
const resolved = new WeakSet<object>()

/**
 * Turns user options into resolved ones, once. Never mutates its argument, and the result is frozen: nothing
 * changes after resolution. Bad values throw a clear error.
 */
export function resolveOptions(options: LiveAssetsOptions = {}): ResolvedOptions {
  const result: ResolvedOptions = Object.freeze({
    ...resolveEndpointOptions(options),
    token: options.token ?? (processToken ??= randomBytes(18).toString('base64url')),
    tokenGenerated: options.token === undefined,
    logger: options.logger ?? createConsoleLogger(),
    bus: options.bus ?? memoryBus(),
    requireBus: options.requireBus ?? false,
  })
  resolved.add(result)
  return result
}

/** Whether `options` came out of `resolveOptions()` (a copy of it does not count: it may have been changed). */
export function isResolvedOptions(options: object): options is ResolvedOptions {
  return resolved.has(options)
}

/**
 * Validates and normalises every option but the token and the logger, with no side effect: what a plugin checks
 * when its config is read, long before it starts a server. The result is frozen.
 */
export function resolveEndpointOptions(options: EndpointOptions = {}): ResolvedEndpointOptions {
  const fallback = options.client?.fallback ?? 'stylesheets'
  if (!FALLBACKS.includes(fallback))
    throw new TypeError(`[live-assets] client.fallback must be one of ${FALLBACKS.join(', ')}; got ${JSON.stringify(fallback)}.`)
  return Object.freeze({
    base: normalizeBase(options.base ?? DEFAULT_BASE),
    heartbeatMs: positive('heartbeatMs', options.heartbeatMs, DEFAULT_HEARTBEAT_MS),
    retryMs: positive('retryMs', options.retryMs, 1000),
    replay: positive('replay', options.replay, 100, true),
    maxBufferedBytes: positive('maxBufferedBytes', options.maxBufferedBytes, 1024 * 1024),
    maxSubscribers: positive('maxSubscribers', options.maxSubscribers, Infinity),
    allowedHosts: options.allowedHosts === true ? true : Object.freeze((options.allowedHosts ?? []).map(h => h.toLowerCase())),
    allowedOrigins: Object.freeze((options.allowedOrigins ?? []).map(normalizeOrigin)),
    loopbackOrigins: options.loopbackOrigins ?? true,
    client: Object.freeze({
      fallback,
      overlay: options.client?.overlay ?? true,
      debug: options.client?.debug ?? false,
    }),
  })
}

/** `live/` -> `/live`; `/` -> `` is refused because the endpoints would shadow a whole site. */
export function normalizeBase(base: string): string {
  const trimmed = `/${base}`.replace(/\/{2,}/g, '/').replace(/\/+$/, '')
  if (!trimmed || /[?#\s]/.test(trimmed))
    throw new TypeError(`[live-assets] base must be a URL path such as '/__live_assets'; got ${JSON.stringify(base)}.`)
  return trimmed
}

function normalizeOrigin(origin: string): string {
  try {
    const url = new URL(origin)
    if (url.origin !== 'null')
      return url.origin
  }
  catch {}
  throw new TypeError(`[live-assets] allowedOrigins entries must be origins such as 'http://localhost:3000'; got ${JSON.stringify(origin)}.`)
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined)
    return fallback
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (!allowZero && value === 0))
    throw new TypeError(`[live-assets] ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number; got ${JSON.stringify(value)}.`)
  return value
}
