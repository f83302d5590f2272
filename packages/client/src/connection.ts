/**
 * The event stream, kept alive. The browser's own EventSource retry is not enough: it gives up for
 * good on a non-200 answer or a wrong content type, retries a dead server at a fixed pace forever,
 * and cannot notice a stream that is open but silent (a proxy that stopped forwarding). So every
 * failure closes the stream and we reconnect ourselves: with backoff and jitter (capped below a second
 * for a server on loopback), one attempt at a time, only while the tab is visible, resuming from the
 * last event id.
 */
import type { EventName, LiveEvent } from '@live-assets/protocol'
import type { CloseSource } from './source'
import { LAST_EVENT_ID_PARAM } from '@live-assets/protocol'
import { debug } from './log'
import { openSource } from './source'

export interface ConnectionOptions {
  url: URL
  /** Event names to listen for. */
  events: readonly EventName[]
  heartbeatMs: number
  /** True when another tab that shares this stream is visible: a hidden leader tab then reconnects too. */
  wanted?: () => boolean
  /** Resume after this event: the server replays what came since. */
  lastEventId?: string
  /** `id` is the event's id, empty for a `ping`. */
  onEvent: (...event: [...LiveEvent, id: string]) => void
  /** The stream was up and is now down. */
  onDown: () => void
  /** The server refused the stream twice in a row (said once until the stream is up again). */
  onRefused: () => void
}

export interface Connection {
  close: () => void
  /** Reconnects now if the stream is down and waits for this tab to be visible, and `wanted` says so. */
  wake: () => void
}

const FIRST_DELAY_MS = 500
const MAX_DELAY_MS = 30_000
/**
 * The longest wait for a server on this machine (a dev server, the CLI): a developer restarting it waits for nothing
 * but this, and a refused connect to loopback costs nothing. At most this long after the server listens again, the
 * page is back.
 */
const LOOPBACK_MAX_DELAY_MS = 800
/** Silence longer than this many heartbeats means the stream is dead, even if the socket is open. */
const WATCHDOG_HEARTBEATS = 2.5

export function connect({ url, events, heartbeatMs, wanted, lastEventId = '', onEvent, onDown, onRefused }: ConnectionOptions): Connection {
  let source: CloseSource | undefined
  let attempt = 0
  let up = false
  let refusals = 0
  let closed = false
  let watchdog: ReturnType<typeof setTimeout> | undefined
  let retry: ReturnType<typeof setTimeout> | undefined

  function open(): void {
    if (closed)
      return
    const target = new URL(url)
    if (lastEventId)
      target.searchParams.set(LAST_EVENT_ID_PARAM, lastEventId)
    // No credentials: a cross-origin stream then needs only an exact Access-Control-Allow-Origin.
    source = openSource({
      url: target,
      events,
      onMessage(name, data, id) {
        if (id)
          lastEventId = id
        arm()
        let payload: unknown
        try {
          payload = data ? JSON.parse(data) : {}
        }
        catch {
          payload = data
        }
        if (name === 'hello') {
          up = true
          attempt = refusals = 0
          heartbeatMs = Number((payload as { heartbeatMs?: number }).heartbeatMs) || heartbeatMs
          arm()
        }
        // Only the names in `events` are delivered; the server is the one that pairs each name with its payload.
        onEvent(...[name, payload, id] as [...LiveEvent, string])
      },
      onFailure(refused) {
        // A server that is down leaves the EventSource reconnecting; an answer it may not read (a 403 without CORS
        // headers, any non-200) closes it.
        if (refused && ++refusals === 2)
          onRefused()
        // The reason is only a debug line's: a build without them does not even carry its text.
        fail(debug && (refused ? 'the server refused the stream' : 'the stream broke'))
      },
    })
    arm()
  }

  /** Restarts the silence timer; also covers a connect that never answers. */
  function arm(): void {
    clearTimeout(watchdog)
    watchdog = setTimeout(fail, heartbeatMs * WATCHDOG_HEARTBEATS, debug && `no event for ${heartbeatMs * WATCHDOG_HEARTBEATS} ms`)
  }

  function fail(reason?: string): void {
    clearTimeout(watchdog)
    source?.()
    source = undefined
    if (up) {
      up = false
      onDown()
    }
    if (closed || retry)
      return
    const delay = retryDelay(attempt++, url)
    debug?.(`${reason}; reconnecting in ${delay} ms`)
    retry = setTimeout(() => {
      retry = undefined
      reopen()
    }, delay)
  }

  /**
   * Opens the stream now, or once the tab is visible: a hidden tab does not hammer a server that is down. A shared
   * worker has no document and no visibility: it opens now.
   */
  function reopen(): void {
    if (closed || source || retry)
      return
    if (typeof document === 'undefined' || !document.hidden || wanted?.())
      return open()
    // The same listener is added once however often this runs.
    document.addEventListener('visibilitychange', reopen, { once: true })
  }

  open()
  return {
    close() {
      closed = true
      clearTimeout(watchdog)
      clearTimeout(retry)
      source?.()
      source = undefined
    },
    wake: reopen,
  }
}

/**
 * How long to wait before attempt `attempt` (from 0): 0.5 s doubling up to 30 s (0.8 s for a server on loopback), the
 * upper half of it at random, so that tabs and pages do not come back in step.
 * @param attempt how many attempts failed before this one
 * @param url the events URL
 * @param random in [0, 1)
 */
export function retryDelay(attempt: number, url: URL, random = Math.random()): number {
  const ceiling = Math.min(isLoopback(url) ? LOOPBACK_MAX_DELAY_MS : MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt)
  return Math.round(ceiling / 2 + random * ceiling / 2)
}

/** `localhost`, `*.localhost`, `127.0.0.0/8` or `[::1]`. */
function isLoopback({ hostname }: URL): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '[::1]' || /^127(?:\.\d+){3}$/.test(hostname)
}
