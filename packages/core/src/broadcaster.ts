import type { HelloPayload, Publish, PublishOptions, ReloadCSSPayload, Stats } from '@live-assets/protocol'
import type { IncomingMessage } from 'node:http'
import type { Bus, BusConnection, BusEntry, BusState, FileVersion } from './bus'
import type { Logger } from './logger'
import { Buffer } from 'node:buffer'
import { ServerResponse } from 'node:http'
import { EVENTS, formatEventId } from '@live-assets/protocol'
import { memoryBus, parseEventId } from './bus'
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
  /** Where events get their ids and are kept for resumes. @default memoryBus() */
  bus?: Bus
  /** When the bus cannot be reached at start, `ready` rejects instead of the broadcaster falling back to memory. */
  requireBus?: boolean
}

export interface Broadcaster {
  /** Changes on every start of the log; event ids are `<epoch>-<seq>`. */
  readonly epoch: string
  /**
   * Sends a named event with JSON data to every subscriber, through the bus, and resolves with its id (a rejection is
   * also said in the terminal, so a caller may leave it). The broadcaster alone keeps the state a page joins into:
   * the pending build error, set by `error` and resolved by `clearError` (or by a `reloadCSS`, which is then preceded
   * by a `clearError` of its own).
   */
  publish: Publish
  /** Turns a request into a stream. `lastEventId` comes from the header or the query. */
  subscribe: (req: IncomingMessage, res: ServerResponse, lastEventId?: string) => void
  /**
   * Of the given keys (files' URLs), those this process publishes: all of them, unless the bus is shared, which is
   * then given their versions (asked for only then: the stat of every saved file is no work for a bus of one process).
   */
  claim: (keys: string[], versions: () => ReadonlyMap<string, FileVersion>) => Promise<Set<string>>
  /** Resolves once the bus is open (or, unless `requireBus`, replaced by memory after a warning). */
  readonly ready: Promise<void>
  stats: () => Stats
  /** Ends every stream, stops the heartbeat and leaves the bus; safe to call twice. */
  close: () => Promise<void>
}

/** An event as delivered: its place in the log and its bytes, encoded once for every stream. */
interface Delivered {
  seq: number
  bytes: Buffer
}

/**
 * A stream between its headers and its place among the live ones: its catch-up is being read from the bus. Events
 * delivered meanwhile wait in `queued`; once written, the catch-up reached `after`, and a process whose log reader is
 * behind the page (a page that moved from another process) skips events up to it.
 */
interface Joining {
  lastEventId: string | undefined
  queued?: Delivered[]
  after: number
}

/** How long a resume waits for the bus to say what a page missed. */
const SINCE_TIMEOUT_MS = 2_000

/** `bytes` as one chunk of a chunked HTTP/1.1 body: its size in hex, CRLF, the bytes, CRLF. */
function chunkOf(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`, 'latin1'), bytes, Buffer.from('\r\n', 'latin1')])
}

export function createBroadcaster(options: BroadcasterOptions): Broadcaster {
  const startedAt = Date.now()
  const bus = options.bus ?? memoryBus()
  const subscribers = new Set<ServerResponse>()
  /**
   * Streams whose socket takes a heartbeat as a chunk framed once for all: a plain chunked HTTP/1.1 `node:http`
   * response whose `write` nobody wraps. `res.write()` frames the same bytes again per stream, in four corked writes
   * that leave about 1 KB of garbage each: at 10,000 streams a ping cost 245-510 ms and full collections followed it,
   * against 156-188 ms and none this way.
   */
  const direct = new WeakSet<ServerResponse>()
  const joining = new Map<ServerResponse, Joining>()
  let connection: BusConnection | undefined
  let epoch = ''
  /** The newest sequence number delivered here. */
  let seq = 0
  let closed = false
  let peakSubscribers = 0
  let eventsPublished = 0
  const dropped = { backpressure: 0, full: 0 }
  /** The last unresolved build error, sent again after every `hello`: a page hides its overlay on each one. */
  let pendingError: Delivered | undefined

  const listener = {
    entry: deliver,
    reset(state: BusState, reason: string) {
      options.logger.warn(`${reason}: open pages reconnect, and get what they missed or refresh every stylesheet once.`)
      join(state)
      // Their ids are of the old log: reconnecting, they get one full refresh.
      endAll()
    },
  }

  function join(state: BusState): void {
    epoch = state.epoch
    seq = 0
    pendingError = undefined
    for (const entry of state.entries)
      remember(entry, encode(entry))
  }

  const openOptions = { replay: options.replay, logger: options.logger, subscribers: () => subscribers.size + joining.size }
  const ready = bus.open(listener, openOptions)
    .catch(async (error: Error) => {
      if (options.requireBus)
        throw error
      options.logger.warn(`${error.message.replace(/^\[live-assets\] /, '')} Until this process restarts with the bus reachable, its events reach only its own pages.`)
      return memoryBus().open(listener, openOptions)
    })
    .then((opened) => {
      connection = opened
      join(opened.state)
      if (closed)
        return void opened.close()
      for (const [res, joiner] of joining)
        void catchUp(res, joiner)
    })
  // A rejection is the caller's to handle (`requireBus`); without a caller it must not end the process.
  ready.catch(() => {})

  const heartbeat = setInterval(() => {
    if (!subscribers.size)
      return
    const bytes = Buffer.from(encodeMessage({ event: EVENTS.ping, data: { time: Date.now() } }))
    broadcast(bytes, chunkOf(bytes))
  }, options.heartbeatMs)
  heartbeat.unref()

  function encode(entry: BusEntry): Buffer {
    return Buffer.from(encodeMessage({ id: entry.id, event: entry.event, data: entry.data }))
  }

  /** Keeps what a late page must see. */
  function remember(entry: BusEntry, bytes: Buffer): void {
    seq = entry.seq
    if (entry.event === EVENTS.error)
      pendingError = { seq: entry.seq, bytes }
    else if (entry.event === EVENTS.clearError)
      pendingError = undefined
  }

  function deliver(entry: BusEntry): void {
    const delivered = { seq: entry.seq, bytes: encode(entry) }
    remember(entry, delivered.bytes)
    eventsPublished++
    if (closed)
      return
    broadcast(delivered.bytes)
    for (const [res, joiner] of joining) {
      if (joiner.queued)
        joiner.queued.push(delivered)
      // The reader has caught up with what the page was sent: live from here (heartbeats included).
      else if (delivered.seq >= joiner.after)
        goLive(res, delivered.seq > joiner.after ? delivered.bytes : undefined)
    }
  }

  function endAll(): void {
    const open = [...subscribers, ...joining.keys()]
    subscribers.clear()
    joining.clear()
    for (const res of open)
      res.end()
  }

  function hello(id: string): string {
    const payload: HelloPayload = { epoch, heartbeatMs: options.heartbeatMs, version: options.version }
    return encodeMessage({ id, event: EVENTS.hello, data: payload })
  }

  /** One listener for every stream, instead of a closure per stream. */
  function unsubscribe(this: ServerResponse): void {
    subscribers.delete(this)
    joining.delete(this)
  }

  /**
   * `chunk`: the same bytes framed by {@link chunkOf}, for a stream that takes them on its socket. Only heartbeats
   * come framed: events went the same way once, and on Node 24 a second, framed copy of every 16 KiB event left the
   * server's RSS 20 MB higher in the slow-reader stress test.
   */
  function write(res: ServerResponse, bytes: Buffer | string, chunk?: Buffer): void {
    const socket = chunk && direct.has(res) ? res.socket : null
    if (socket) {
      socket.write(chunk!)
    }
    else {
      res.write(bytes)
      // compression middleware buffers until told to flush.
      ;(res as { flush?: () => void }).flush?.()
    }
    // Counts the socket's buffer too (HTTP/1), or the stream's (HTTP/2).
    const unsent = res.writableLength
    if (unsent > options.maxBufferedBytes) {
      dropped.backpressure++
      subscribers.delete(res)
      joining.delete(res)
      options.logger.warn(`dropped a client that stopped reading (${unsent} bytes unsent); it will reconnect and catch up.`)
      res.destroy()
    }
  }

  /** `chunk`: see {@link write}. */
  function broadcast(bytes: Buffer, chunk?: Buffer): void {
    for (const res of subscribers)
      write(res, bytes, chunk)
  }

  function goLive(res: ServerResponse, bytes?: Buffer): void {
    joining.delete(res)
    subscribers.add(res)
    if (bytes)
      write(res, bytes)
  }

  /** What a (re)connecting page must receive before live events: what it missed, or one full refresh. */
  async function catchUp(res: ServerResponse, joiner: Joining): Promise<void> {
    const { lastEventId } = joiner
    let text: string
    let after = seq
    const entries = lastEventId === undefined || !connection ? undefined : await readSince(connection, lastEventId)
    if (!joining.has(res) || !connection)
      return
    const error = pendingError?.bytes.toString() ?? ''
    if (lastEventId === undefined) {
      text = hello(formatEventId(epoch, seq)) + error
    }
    else if (entries) {
      // An error published after the page's id is among the entries.
      const from = parseEventId(lastEventId)!.seq
      after = Math.max(from, entries.at(-1)?.seq ?? 0)
      text = hello(lastEventId) + (pendingError && pendingError.seq <= from ? error : '')
      for (const entry of entries)
        text += encode(entry).toString()
    }
    else {
      // Unknown, expired or from another log: resuming would be silently stale.
      const refresh: ReloadCSSPayload = { files: [] }
      const id = formatEventId(epoch, seq)
      text = hello(id) + encodeMessage({ id, event: EVENTS.reloadCSS, data: refresh }) + error
    }
    write(res, encodeRetry(options.retryMs) + text)
    for (const delivered of joiner.queued ?? []) {
      if (delivered.seq > after && joining.has(res))
        write(res, delivered.bytes)
      after = Math.max(after, delivered.seq)
    }
    joiner.queued = undefined
    joiner.after = after
    if (seq >= after && joining.has(res))
      goLive(res)
  }

  /**
   * A bus that does not answer in time (Redis paused, or reconnecting) or fails: the page gets one full refresh at
   * once instead of waiting with no `hello` for as long as it lasts.
   */
  async function readSince(opened: BusConnection, id: string): Promise<BusEntry[] | undefined> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<undefined>(resolve => timer = setTimeout(() => resolve(undefined), SINCE_TIMEOUT_MS))
    try {
      return await Promise.race([opened.since(id), late])
    }
    catch {
      return undefined
    }
    finally {
      clearTimeout(timer)
    }
  }

  function publish(event: string, data?: unknown, { resolvesError = true }: PublishOptions = {}): Promise<string> {
    const append = (name: string, payload: unknown): Promise<string> =>
      connection ? connection.append(name, JSON.stringify(payload ?? {})) : ready.then(() => append(name, payload))
    const clears = event === EVENTS.reloadCSS && pendingError && resolvesError
    const id = clears ? append(EVENTS.clearError, {}).then(() => append(event, data)) : append(event, data)
    id.catch(error => options.logger.error(`could not publish ${event}: ${(error as Error).message}`))
    return id
  }

  return {
    get epoch() {
      return epoch
    },

    publish: publish as Publish,

    ready,

    async claim(keys, versions) {
      await ready
      return connection?.claim ? connection.claim(versions()) : new Set(keys)
    },

    subscribe(req, res, lastEventId) {
      const open = subscribers.size + joining.size
      if (closed || open >= options.maxSubscribers) {
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
      // Only the response being answered has the socket: what is written to it comes after this one's headers.
      if (res.chunkedEncoding && res.socket && req.httpVersionMajor === 1 && res.write === ServerResponse.prototype.write)
        direct.add(res)
      peakSubscribers = Math.max(peakSubscribers, open + 1)
      res.on('close', unsubscribe)
      const joiner: Joining = { lastEventId, queued: [], after: 0 }
      joining.set(res, joiner)
      if (connection)
        void catchUp(res, joiner)
    },

    stats() {
      return {
        subscribers: subscribers.size + joining.size,
        peakSubscribers,
        eventsPublished,
        dropped: { ...dropped },
        uptimeMs: Date.now() - startedAt,
        epoch,
        version: options.version,
        bus: connection?.stats() ?? { name: bus.name, connected: false, lastId: '' },
      }
    },

    async close() {
      if (closed)
        return
      closed = true
      clearInterval(heartbeat)
      endAll()
      await connection?.close()
    },
  }
}
