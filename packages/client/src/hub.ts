/**
 * One event stream for many tabs. Over HTTP/1.1 a browser opens at most six connections per
 * origin, so a stream per tab starves the seventh tab's page loads. The hub holds the only
 * connection and relays every event; it lives in a shared worker (the served client script,
 * loaded as a `SharedWorker`) or, where that is missing, in one tab elected with Web Locks that
 * relays over a `BroadcastChannel`.
 */
import type { ClientConfig, LiveEvent } from '@live-assets/protocol'
import type { Connection } from './connection'
import { DEFAULT_BASE, DEFAULT_HEARTBEAT_MS, EVENTS, ROUTES } from '@live-assets/protocol'
import { connect } from './connection'

/** Not an event: the stream went down. */
export const DOWN = 'disconnect'

/** Not an event: the server refused the stream, again (see `ConnectionOptions.onRefused`). */
export const REFUSED = 'refused'

/**
 * What a tab is told: an event (name, payload, and the id of the newest event the hub has seen: the event's own, but
 * for a `ping`), that the stream went down, or that the server refuses it.
 */
export type Message = [...LiveEvent, id?: string] | [name: typeof DOWN | typeof REFUSED, data?: undefined, id?: undefined]

/** A tab's goodbye to the shared worker (a `MessagePort` does not say when its tab is gone). */
export const BYE = 'bye'

export interface Hub {
  /** Opens the stream, resuming after the last event seen, if it is not open. */
  start: () => void
  /** Closes the stream; `start` resumes it. */
  stop: () => void
  /** Another tab is visible and waits for the stream: reconnect now even if this tab is hidden. */
  wake: () => void
  /**
   * What a tab joining now needs: the last `hello`, and the build error the server sent after it and has not cleared.
   * The `hello` carries the newest event id, so that a tab back from the back/forward cache can tell whether it
   * missed anything.
   */
  greeting: () => Message[]
}

export function eventsUrl(config: ClientConfig, scriptUrl: string): URL {
  return new URL((config.base ?? DEFAULT_BASE) + ROUTES.events, config.origin ?? scriptUrl)
}

/**
 * The one connection, and what a newcomer needs from it.
 * @param url the events URL
 * @param config the served config
 * @param send gets every event, `disconnect` and `refused`
 * @param lastId the newest event id already applied: the first connection resumes after it
 * @param wanted true when another tab waits for the stream (see `ConnectionOptions.wanted`)
 */
export function createHub(url: URL, config: ClientConfig, send: (message: Message) => void, lastId = '', wanted?: () => boolean): Hub {
  let hello: Message | undefined
  let error: Message | undefined
  let connection: Connection | undefined
  return {
    start() {
      connection ??= connect({
        url,
        events: Object.values(EVENTS),
        // A zero or missing heartbeat (a hand-written ESM config) would make the watchdog fire at once, forever.
        heartbeatMs: config.heartbeatMs || DEFAULT_HEARTBEAT_MS,
        lastEventId: lastId,
        wanted,
        onEvent(name, data, id) {
          lastId = id || lastId
          const message = [name, data, lastId] as Message
          // The server follows every `hello` with the error still pending, if any, until a `clearError`.
          if (name === EVENTS.hello)
            [hello, error] = [message, undefined]
          else if (name === EVENTS.error)
            error = message
          else if (name === EVENTS.clearError)
            error = undefined
          send(message)
        },
        onDown: () => send([DOWN]),
        // Every tab says it in its own console, where the developer looks (not the shared worker's).
        onRefused: () => send([REFUSED]),
      })
    },
    stop() {
      connection?.close()
      connection = undefined
    },
    wake: () => connection?.wake(),
    greeting: () => [hello && [hello[0], hello[1], lastId] as Message, error].filter(message => message !== undefined),
  }
}

/** The shared worker: one hub, and every tab's port. */
export function runWorker(config: ClientConfig): void {
  const ports = new Set<MessagePort>()
  const hub = createHub(eventsUrl(config, location.href), config, (message) => {
    for (const port of ports)
      port.postMessage(message)
  })
  ;(globalThis as unknown as { onconnect: (event: MessageEvent) => void }).onconnect = ({ ports: [port] }) => {
    ports.add(port)
    port.onmessage = ({ data }) => {
      if (data === BYE && ports.delete(port) && !ports.size)
        hub.stop()
    }
    for (const message of hub.greeting())
      port.postMessage(message)
    hub.start()
  }
}
