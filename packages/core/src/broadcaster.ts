import type { HelloPayload, Publish, PublishOptions, ReloadCSSPayload, Stats } from '@live-assets/protocol'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from './logger'
import { Buffer } from 'node:buffer'
import { randomBytes } from 'node:crypto'
import { EVENTS, formatEventId } from '@live-assets/protocol'
import { encodeMessage, encodeRetry, STREAM_HEADERS } from './sse'

export interface BroadcasterOptions {
  heartbeatMs: number
  retryMs: number
  /** Size of the replay ring. */
  replay: number
  maxBufferedBytes: number
  maxSubscribers: number
  version: string
  logger: Logger
}

export interface Broadcaster {
  /** Changes on every start; event ids are `<epoch>-<seq>`. */
  readonly epoch: string
  /**
   * Sends a named event with JSON data to every subscriber; returns its id. It alone keeps the state a page joins
   * into: the pending build error, set by `error` and resolved by `clearError` (or by a `reloadCSS`, which is then
   * preceded by a `clearError` of its own).
   */
  publish: Publish
  /** Turns a request into a stream. `lastEventId` comes from the header or the query. */
  subscribe: (req: IncomingMessage, res: ServerResponse, lastEventId?: string) => void
  stats: () => Stats
  /** Ends every stream and stops the heartbeat; safe to call twice. */
  close: () => void
}

interface RingEntry {
  seq: number
  bytes: Buffer
}

/** Longest id we accept back; anything longer or odd-shaped is treated as unknown and never echoed. */
const EVENT_ID = /^([0-9a-z]{1,24})-(\d{1,15})$/

export function createBroadcaster(options: BroadcasterOptions): Broadcaster {
  const epoch = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`
  const startedAt = Date.now()
  const subscribers = new Set<ServerResponse>()
  const ring: RingEntry[] = []
  let seq = 0
  let closed = false
  let peakSubscribers = 0
  let eventsPublished = 0
  const dropped = { backpressure: 0, full: 0 }
  /** The last unresolved build error, sent again after every `hello`: a page hides its overlay on each one. */
  let pendingError: RingEntry | undefined

  const heartbeat = setInterval(() => {
    if (subscribers.size)
      broadcast(Buffer.from(encodeMessage({ event: EVENTS.ping, data: { time: Date.now() } })))
  }, options.heartbeatMs)
  heartbeat.unref()

  function currentId(): string {
    return formatEventId(epoch, seq)
  }

  function hello(id: string): string {
    const payload: HelloPayload = { epoch, heartbeatMs: options.heartbeatMs, version: options.version }
    return encodeMessage({ id, event: EVENTS.hello, data: payload })
  }

  /** One listener for every stream, instead of a closure per stream. */
  function unsubscribe(this: ServerResponse): void {
    subscribers.delete(this)
  }

  function write(res: ServerResponse, bytes: Buffer | string): void {
    res.write(bytes)
    // compression middleware buffers until told to flush.
    ;(res as { flush?: () => void }).flush?.()
    // Counts the socket's buffer too (HTTP/1), or the stream's (HTTP/2).
    const unsent = res.writableLength
    if (unsent > options.maxBufferedBytes) {
      dropped.backpressure++
      subscribers.delete(res)
      options.logger.warn(`dropped a client that stopped reading (${unsent} bytes unsent); it will reconnect and catch up.`)
      res.destroy()
    }
  }

  function broadcast(bytes: Buffer): void {
    for (const res of subscribers)
      write(res, bytes)
  }

  /** What a (re)connecting client must receive before live events: replay, or one full refresh. */
  function catchUp(lastEventId: string | undefined): string {
    const error = pendingError?.bytes.toString() ?? ''
    if (lastEventId === undefined)
      return hello(currentId()) + error
    const match = EVENT_ID.exec(lastEventId)
    const lastSeq = match && match[1] === epoch ? Number(match[2]) : -1
    const oldest = ring.length ? ring[0].seq : seq + 1
    if (lastSeq >= 0 && lastSeq <= seq && lastSeq >= oldest - 1) {
      // An error published after lastSeq is in the replay.
      let out = hello(formatEventId(epoch, lastSeq)) + (pendingError && pendingError.seq <= lastSeq ? error : '')
      for (const entry of ring) {
        if (entry.seq > lastSeq)
          out += entry.bytes.toString()
      }
      return out
    }
    // Unknown, expired or from another epoch: resuming would be silently stale.
    const refresh: ReloadCSSPayload = { files: [] }
    return hello(currentId())
      + encodeMessage({ id: currentId(), event: EVENTS.reloadCSS, data: refresh })
      + error
  }

  function send(event: string, data: unknown): string {
    const id = formatEventId(epoch, ++seq)
    const bytes = Buffer.from(encodeMessage({ id, event, data: data ?? {} }))
    if (options.replay > 0) {
      ring.push({ seq, bytes })
      if (ring.length > options.replay)
        ring.shift()
    }
    if (event === EVENTS.error)
      pendingError = { seq, bytes }
    else if (event === EVENTS.clearError)
      pendingError = undefined
    eventsPublished++
    if (!closed)
      broadcast(bytes)
    return id
  }

  function publish(event: string, data?: unknown, { resolvesError = true }: PublishOptions = {}): string {
    if (event === EVENTS.reloadCSS && pendingError && resolvesError)
      send(EVENTS.clearError, {})
    return send(event, data)
  }

  return {
    epoch,

    publish: publish as Publish,

    subscribe(req, res, lastEventId) {
      if (closed || subscribers.size >= options.maxSubscribers) {
        if (!closed)
          dropped.full++
        res.writeHead(503, { 'Retry-After': '5', 'Content-Type': 'text/plain; charset=utf-8' })
        res.end(`[live-assets] ${closed ? 'the server is closing' : `too many streams (maxSubscribers is ${options.maxSubscribers})`}; retry shortly.\n`)
        return
      }
      // A stream is idle for long stretches by design; Node's socket timeout must not cut it.
      if (req.httpVersionMajor < 2) {
        req.socket.setTimeout(0)
        req.socket.setNoDelay(true)
        req.socket.setKeepAlive(true, options.heartbeatMs)
      }
      res.writeHead(200, STREAM_HEADERS)
      // Headers sent on their own are written as one string, which V8 then flattens in place; sent with the first
      // chunk, node:http keeps its header string for the life of the stream as ~25 joined pieces (~0.5 KiB more).
      res.flushHeaders()
      subscribers.add(res)
      peakSubscribers = Math.max(peakSubscribers, subscribers.size)
      res.on('close', unsubscribe)
      write(res, encodeRetry(options.retryMs) + catchUp(lastEventId))
    },

    stats() {
      return {
        subscribers: subscribers.size,
        peakSubscribers,
        eventsPublished,
        dropped: { ...dropped },
        uptimeMs: Date.now() - startedAt,
        epoch,
        version: options.version,
      }
    },

    close() {
      if (closed)
        return
      closed = true
      clearInterval(heartbeat)
      for (const res of subscribers)
        res.end()
      subscribers.clear()
    },
  }
}
