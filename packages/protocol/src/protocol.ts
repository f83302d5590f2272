/**
 * The wire contract between the live-assets server and its browser client.
 * Neutral code: no `node:*` imports and no DOM, so both runtimes can import it.
 */

/** Path prefix of every live-assets endpoint. */
export const DEFAULT_BASE = '/__live_assets'

/** Endpoint paths, relative to the base. */
export const ROUTES = {
  /** `GET`: the Server-Sent Events stream. */
  events: '/events',
  /** `GET`: the built browser client, with its config filled in at serve time. */
  client: '/client.js',
  /** `GET`: the parts of the client that few pages need (the error overlay, images, frames...), loaded when needed. */
  extras: '/client-extras.js',
  /** `GET`: JSON counters, see {@link Stats}. */
  stats: '/stats',
  /** `POST` with `Authorization: Bearer <token>`: publish one event, see {@link PublishRequest}. */
  publish: '/publish',
} as const

/**
 * Names of the events live-assets sends, each with its payload in {@link EventPayloads}. A tool may publish events of
 * its own under any other name (see {@link Publish}).
 */
export const EVENTS = {
  /** First event of every stream. */
  hello: 'hello',
  /** Stylesheets changed. */
  reloadCSS: 'reloadCSS',
  /** Images or other non-stylesheet assets changed: re-fetch what uses them, in place. */
  reloadAssets: 'reloadAssets',
  /** Reload the whole page. */
  reload: 'reload',
  /** A build failed: show the overlay. */
  error: 'error',
  /** The build is good again: hide the overlay. */
  clearError: 'clearError',
  /** Liveness beacon; the only event without an id. */
  ping: 'ping',
} as const

export type EventName = typeof EVENTS[keyof typeof EVENTS]

/**
 * Default time between two `ping` events, in ms. Three quarters of the 60 s idle timeout of common proxies (nginx's
 * `proxy_read_timeout`, AWS ALB), so a ping that comes up to 15 s late still keeps the stream; the client's watchdog
 * gives a silent stream 2.5 heartbeats, so a half-open stream is given up after 112.5 s (nothing is lost: the page
 * resumes from its last event id). Idle cost is one write per stream per ping, framed once and written to each plain
 * HTTP/1.1 socket: at 10,000 streams a ping costs about 0.16 to 0.19 s of CPU, most of it in `write()`.
 */
export const DEFAULT_HEARTBEAT_MS = 45_000

/** Query parameter that carries the last seen event id for a recreated `EventSource`. */
export const LAST_EVENT_ID_PARAM = 'lastEventId'

/** The placeholder in the built client that the server replaces with the JSON {@link ClientConfig}. */
export const CLIENT_CONFIG_PLACEHOLDER = '__LIVE_ASSETS_CONFIG__'

export interface HelloPayload {
  /** Changes on every server start; ids are `<epoch>-<seq>`. */
  epoch: string
  heartbeatMs: number
  version: string
}

export interface RenamedFile {
  /** URL path the page may still reference, e.g. `/assets/app.3f2a.css`. */
  from: string
  /** URL path of the new output, e.g. `/assets/app.9c1d.css`. */
  to: string
}

export interface ReloadCSSPayload {
  /** URL paths as the page requests them, sorted. An empty list means every stylesheet. */
  files: string[]
  /** Outputs whose name changed (content hash); each `to` is also in `files`. */
  renamed?: RenamedFile[]
}

export interface ReloadAssetsPayload {
  /** URL paths as the page requests them (`/img/logo.png`), sorted. */
  files: string[]
}

export interface ReloadPayload {
  reason: string
}

export interface ErrorPayload {
  message: string
  file?: string
  line?: number
  column?: number
  /** The tool that reported it, e.g. `webpack` or `rollup`. */
  source?: string
}

export interface PingPayload {
  /** Server time in ms since the epoch. */
  time: number
}

/** `clearError` carries nothing. */
export type ClearErrorPayload = Record<string, never>

/** What each event carries. */
export interface EventPayloads {
  hello: HelloPayload
  reloadCSS: ReloadCSSPayload
  reloadAssets: ReloadAssetsPayload
  reload: ReloadPayload
  error: ErrorPayload
  clearError: ClearErrorPayload
  ping: PingPayload
}

/** The events a server publishes; `hello` and `ping` the broadcaster sends on its own. */
export type PublishedEventName = Exclude<EventName, typeof EVENTS.hello | typeof EVENTS.ping>

/** One event as received, by name: `[name, data]`; destructure it and switch on `name` to narrow `data`. */
export type LiveEvent = { [N in EventName]: [name: N, data: EventPayloads[N]] }[EventName]

/**
 * A name for an event of your own: any name but those of live-assets, in any letter case (`reloadcss` is a typo, not
 * a new event).
 */
export type CustomEventName<N extends string> = Lowercase<N> extends Lowercase<EventName> ? never : N

export interface PublishOptions {
  /**
   * `reloadCSS` only: the build is good again, so the pending build error is resolved and pages are sent `clearError`
   * first. `false` for a caller that resolves errors itself (several sources may fail at once).
   * @default true
   */
  resolvesError?: boolean
}

/**
 * Sends an event to every open page and resolves with its id once the event log took it: an event of live-assets
 * with its payload, or one of your own with any JSON data.
 */
export interface Publish {
  <N extends PublishedEventName>(event: N, data: EventPayloads[N], options?: PublishOptions): Promise<string>
  <N extends string>(event: CustomEventName<N>, data?: unknown): Promise<string>
}

/** What the client does when a `reloadCSS` matches no stylesheet on the page. */
export type FallbackMode = 'stylesheets' | 'page' | 'none'

/** Filled into the served client at {@link CLIENT_CONFIG_PLACEHOLDER}. */
export interface ClientConfig {
  /** Base path of the endpoints, e.g. `/__live_assets`. */
  base: string
  /**
   * Origin of the live-assets server, e.g. `http://127.0.0.1:35729`, when the server knows it;
   * otherwise the client resolves `base` against its own script URL.
   */
  origin?: string
  fallback: FallbackMode
  overlay: boolean
  debug: boolean
  heartbeatMs: number
}

export interface PublishRequest {
  event: string
  data?: unknown
}

export interface Stats {
  subscribers: number
  peakSubscribers: number
  eventsPublished: number
  dropped: {
    /** Unflushed bytes passed `maxBufferedBytes`. */
    backpressure: number
    /** Refused because `maxSubscribers` was reached. */
    full: number
  }
  uptimeMs: number
  epoch: string
  version: string
  /** Where events get their ids: this process's memory, or a log shared by several processes. */
  bus: BusStats
}

export interface BusStats {
  /** `memory`, or the shared log's address without credentials, e.g. `redis://127.0.0.1:6379`. */
  name: string
  /** Whether the log can be reached now (always `true` in memory). */
  connected: boolean
  /** The id of the newest event this process has delivered. */
  lastId: string
  /** Shared logs: how long the newest delivered event took from its append to this process, in ms. */
  lagMs?: number
  /** Shared logs: the processes that read the log recently, newest first. */
  nodes?: BusNode[]
}

export interface BusNode {
  /** `<hostname>:<pid>` and a random suffix. */
  id: string
  /** When it was last seen, in ms since the epoch. */
  seenAt: number
  subscribers: number
}

/** The id of an event: `<epoch>-<seq>`. */
export function formatEventId(epoch: string, seq: number): string {
  return `${epoch}-${seq}`
}
