import type { Bus, BusConnection, BusEntry, BusNode, BusState, FileVersion } from '@live-assets/core'
import { once } from 'node:events'
import { hostname } from 'node:os'
import process from 'node:process'
import { setTimeout as delay } from 'node:timers/promises'
import { formatEventId, newEpoch, parseEventId } from '@live-assets/core'
import { createClient } from 'redis'
import { APPEND, CLAIM, SINCE, SYNC } from './scripts'

export interface RedisBusOptions {
  /**
   * Where Redis is: `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string
  /**
   * Prefix of the keys the bus uses, so that several projects can share one Redis: every process of one project must
   * use the same. The keys are `{<key>}:log` (a stream), `:seq`, `:epoch`, `:versions` and `:nodes`.
   * @default 'live-assets'
   */
  key?: string
}

/** How often a process says it is alive (`/stats` lists the processes seen within three periods). */
const PRESENCE_MS = 5_000
/** Entries read at once by the one reader of a process. */
const READ_COUNT = 1_000
/** Backoff after the connection is lost: doubling from 50 ms, at most 2 s, with jitter so that nodes spread out. */
const MAX_BACKOFF_MS = 2_000

/**
 * A bus on Redis: every event goes into one stream, whose ids every process shares, so that a page may resume on any
 * of them with its `Last-Event-ID`. Each process reads the stream with one blocking reader of its own and delivers to
 * its own pages; heartbeats stay local.
 */
export function redisBus(options: RedisBusOptions = {}): Bus {
  const url = options.url ?? 'redis://127.0.0.1:6379'
  const name = withoutCredentials(url)
  const prefix = `{${options.key ?? 'live-assets'}}`
  const keys = { epoch: `${prefix}:epoch`, seq: `${prefix}:seq`, log: `${prefix}:log`, versions: `${prefix}:versions`, nodes: `${prefix}:nodes` }

  return {
    name,
    async open(listener, { replay, logger, subscribers }) {
      const node = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 6)}`
      let connected = false
      let closed = false
      let said = false
      const client = createClient({
        url,
        RESP: 2,
        // Until the first connection, a failure is final: the caller decides (the CLI exits, a dev server goes on).
        socket: {
          connectTimeout: 2_000,
          reconnectStrategy: (retries: number, cause: Error) => connected && !closed
            ? Math.min(2 ** retries * 50, MAX_BACKOFF_MS) + Math.floor(Math.random() * 100)
            : cause,
        },
        // A paused Redis delays an event; it must not lose it. Blocking reads wait for as long as it takes.
        commandOptions: { timeout: 0 },
      })
      const reader = client.duplicate()
      for (const connection of [client, reader]) {
        connection.on('error', (error: Error) => {
          if (said || closed || !connected)
            return
          said = true
          logger.warn(`lost the connection to Redis at ${name} (${error.message}); open pages keep their streams, and events wait until it is back.`)
        })
        connection.on('ready', () => {
          if (said && client.isReady && reader.isReady) {
            said = false
            logger.info(`connected to Redis at ${name} again.`)
          }
        })
      }

      try {
        await Promise.all([client.connect(), reader.connect()])
      }
      catch (error) {
        client.destroy()
        reader.destroy()
        throw new Error(`[live-assets] could not reach Redis at ${name} (${(error as Error).message}): start redis-server, or check the URL.`, { cause: error })
      }
      connected = true

      const maxLen = String(Math.max(replay, 1))
      let epoch = ''
      /** The newest sequence number delivered here. */
      let delivered = 0
      let lagMs: number | undefined
      let nodes: BusNode[] = []

      /**
       * A command of the writer connection. A Redis restarted with its data answers `LOADING` until it has read it
       * back, also to the commands queued while it was away: those are sent again, so that no event is lost to it.
       */
      async function send<T>(args: string[]): Promise<T> {
        for (let attempt = 0; ; attempt++) {
          try {
            return await client.sendCommand<T>(args)
          }
          catch (error) {
            if (closed || !(error as Error).message?.startsWith('LOADING'))
              throw error
            await delay(Math.min(2 ** attempt * 10, 500))
          }
        }
      }

      const toEntry = (logEpoch: string) => (raw: RawEntry): BusEntry => {
        const seq = Number(raw[0].slice(2))
        return { id: formatEventId(logEpoch, seq), seq, event: field(raw, 'e'), data: field(raw, 'd') }
      }

      /** Joins the log, or finds it replaced; a log behind what was delivered here (an older snapshot) is started anew. */
      async function sync(): Promise<BusState & { seq: number }> {
        const [logEpoch, seq, entries] = await send<[string, number, RawEntry[]]>(['EVAL', SYNC, '3', keys.epoch, keys.seq, keys.log, newEpoch(), epoch, String(delivered), maxLen])
        return { epoch: logEpoch, seq: Number(seq), entries: entries.map(toEntry(logEpoch)) }
      }

      async function rejoin(reason?: string): Promise<void> {
        const state = await sync()
        if (state.epoch !== epoch)
          reason = `the event log at ${name} started anew (epoch ${state.epoch})`
        // The same log, back after a lost connection: the reader goes on after what it delivered, so the entries
        // appended meanwhile (queued appends flushed on reconnect, other processes') still reach this process's pages.
        if (!reason)
          return
        epoch = state.epoch
        delivered = state.seq
        listener.reset(state, reason)
      }

      async function read(): Promise<void> {
        let failures = 0
        // eslint-disable-next-line no-unmodified-loop-condition -- close() sets it
        while (!closed) {
          try {
            const reply = await reader.sendCommand<[string, RawEntry[]][] | null>(['XREAD', 'COUNT', String(READ_COUNT), 'BLOCK', '0', 'STREAMS', keys.log, `0-${delivered}`])
            failures = 0
            for (const raw of reply?.[0]?.[1] ?? []) {
              const entry = toEntry(epoch)(raw)
              if (entry.seq !== delivered + 1) {
                // Trimmed before this process read it: its pages resume from the log, or refresh.
                await rejoin(`this process fell behind the event log at ${name}`)
                break
              }
              delivered = entry.seq
              lagMs = Date.now() - Number(field(raw, 't'))
              listener.entry(entry)
            }
          }
          catch {
            if (closed)
              return
            await delay(Math.min(2 ** failures++ * 50, MAX_BACKOFF_MS))
            if (!reader.isReady)
              await once(reader, 'ready').catch(() => {})
            await rejoin().catch(() => {})
          }
        }
      }

      async function announce(): Promise<void> {
        const now = Date.now()
        const [, all] = await client.multi()
          .hSet(keys.nodes, node, JSON.stringify({ seenAt: now, subscribers: subscribers?.() ?? 0 }))
          .hGetAll(keys.nodes)
          .exec() as unknown as [number, Record<string, string>]
        const seen = Object.entries(all).map(([id, value]) => ({ id, ...JSON.parse(value) as Omit<BusNode, 'id'> }))
        const stale = seen.filter(seenNode => seenNode.seenAt < now - 20 * PRESENCE_MS).map(seenNode => seenNode.id)
        if (stale.length)
          await client.hDel(keys.nodes, stale)
        nodes = seen.filter(seenNode => seenNode.seenAt >= now - 3 * PRESENCE_MS).sort((a, b) => b.seenAt - a.seenAt)
      }

      const initial = await sync()
      epoch = initial.epoch
      delivered = initial.seq
      void read()
      await announce().catch(() => {})
      // Not while Redis is away: the announcements would pile up in the offline queue.
      const presence = setInterval(() => client.isReady && void announce().catch(() => {}), PRESENCE_MS)
      presence.unref()

      const connection: BusConnection = {
        state: initial,
        async append(event, data) {
          const [logEpoch, seq] = await send<[string, number]>(['EVAL', APPEND, '3', keys.epoch, keys.seq, keys.log, newEpoch(), maxLen, event, data, String(Date.now())])
          return formatEventId(logEpoch, Number(seq))
        },
        async since(id) {
          const parsed = parseEventId(id)
          if (!parsed)
            return undefined
          const entries = await send<RawEntry[] | null>(['EVAL', SINCE, '3', keys.epoch, keys.seq, keys.log, parsed.epoch, String(parsed.seq)])
          return entries?.map(toEntry(parsed.epoch))
        },
        async claim(versions: ReadonlyMap<string, FileVersion>) {
          const args = [...versions].flatMap(([key, { mtimeMs, digest }]) => [key, String(mtimeMs), digest])
          return new Set(await send<string[]>(['EVAL', CLAIM, '1', keys.versions, ...args]))
        },
        stats: () => ({ name, connected: client.isReady && reader.isReady, lastId: formatEventId(epoch, delivered), lagMs, nodes }),
        async close() {
          if (closed)
            return
          closed = true
          clearInterval(presence)
          // Leaves the list of nodes, unless Redis cannot say so at once.
          if (client.isReady)
            await Promise.race([client.hDel(keys.nodes, node), delay(500)]).catch(() => {})
          client.destroy()
          reader.destroy()
        },
      }
      return connection
    },
  }
}

/** An entry of the stream as Redis sends it: `0-<seq>` and its fields, `e` (event), `d` (data), `t` (append time). */
type RawEntry = [id: string, fields: string[]]

function field([, fields]: RawEntry, name: string): string {
  return fields[fields.indexOf(name) + 1] ?? ''
}

/** The URL as it may be shown: without a password. */
function withoutCredentials(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined
  if (!parsed || !['redis:', 'rediss:'].includes(parsed.protocol) || !parsed.hostname)
    throw new TypeError(`[live-assets] the Redis URL must look like redis://127.0.0.1:6379 (rediss:// for TLS); got ${JSON.stringify(url)}.`)
  parsed.username = ''
  parsed.password = ''
  return parsed.toString().replace(/\/$/, '')
}
