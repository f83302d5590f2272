import type { BusStats } from '@live-assets/protocol'
import type { Logger } from './logger'
import { randomBytes } from 'node:crypto'
import { formatEventId } from '@live-assets/protocol'

/** One event of the log. */
export interface BusEntry {
  /** `<epoch>-<seq>`: the same on every process that reads the log. */
  id: string
  seq: number
  event: string
  /** The event's data as JSON text. */
  data: string
}

/** What a log holds when a process joins it. */
export interface BusState {
  /** Changes whenever the log starts anew (a restart of the process, or of an empty Redis). */
  epoch: string
  /** The newest entries, oldest first (at most `replay`): the pending build error is found there. */
  entries: BusEntry[]
}

/** What a bus tells the broadcaster that opened it. */
export interface BusListener {
  /** An entry appended by any process, in log order, each once. */
  entry: (entry: BusEntry) => void
  /**
   * This process can no longer deliver every entry in order: the log was replaced (Redis restarted without its data,
   * so every id given so far is unknown), or entries were trimmed before it read them. Its pages must reconnect.
   */
  reset: (state: BusState, reason: string) => void
}

export interface BusOpenOptions {
  /** How many entries the log keeps for `Last-Event-ID` resumes. */
  replay: number
  logger: Logger
  /** How many streams this process holds, for the list of processes in `/stats`. */
  subscribers?: () => number
}

/** A log opened by one broadcaster. */
export interface BusConnection {
  /** What the log held when it was opened. */
  readonly state: BusState
  /** Appends an event (data as JSON text) and resolves with its id; the entry then reaches every listener. */
  append: (event: string, data: string) => Promise<string>
  /** The entries after `id`, oldest first; `undefined` when the log no longer holds (or never held) that id. */
  since: (id: string) => Promise<BusEntry[] | undefined>
  /**
   * For processes that watch the same files: records the version of each key (a file's URL) and resolves with the
   * keys whose version is new (a later mtime than the one recorded, or the same mtime with another digest), so that a
   * change is published once, by the first process that claims it, and a process that saw it late does not publish
   * an older version again. Absent on a bus of one process.
   */
  claim?: (versions: ReadonlyMap<string, FileVersion>) => Promise<Set<string>>
  stats: () => BusStats
  /** Stops reading and disconnects; safe to call twice. */
  close: () => Promise<void>
}

/**
 * Where events get their ids and are kept for resumes. The default is this process's memory; `@live-assets/redis`
 * shares one log between processes and machines. One value may be opened by several broadcasters in turn (a dev
 * server restarted by its config).
 */
export interface Bus {
  /** A name for messages and `/stats`, e.g. `memory` or `redis://127.0.0.1:6379`. */
  readonly name: string
  /**
   * Joins the log: resolves with its state once entries can be appended and are delivered to `listener`; rejects with
   * a `[live-assets]` error when the log cannot be reached.
   */
  open: (listener: BusListener, options: BusOpenOptions) => Promise<BusConnection>
}

/** What tells two versions of a file apart, the same in every process that sees the file. */
export interface FileVersion {
  /** Its mtime; for a deleted file, its directory's (a deletion changes it). */
  mtimeMs: number
  /** Its content hash, or `gone`: tells apart two saves within a coarse mtime (1 s on some file systems). */
  digest: string
}

/** Longest id we accept back; anything longer or odd-shaped is treated as unknown and never echoed. */
const EVENT_ID = /^([0-9a-z]{1,24})-(\d{1,15})$/

/** The epoch and sequence number of an id, or `undefined` for a malformed one. */
export function parseEventId(id: string): { epoch: string, seq: number } | undefined {
  const match = EVENT_ID.exec(id)
  return match ? { epoch: match[1]!, seq: Number(match[2]) } : undefined
}

/** A fresh epoch: base-36 time and some randomness, so two starts in the same millisecond still differ. */
export function newEpoch(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`
}

/** The log of one process: a ring of the last `replay` entries, delivered synchronously as they are appended. */
export function memoryBus(): Bus {
  return {
    name: 'memory',
    async open(listener, { replay }) {
      const epoch = newEpoch()
      const ring: BusEntry[] = []
      let seq = 0
      return {
        state: { epoch, entries: [] },
        async append(event, data) {
          const entry: BusEntry = { id: formatEventId(epoch, ++seq), seq, event, data }
          if (replay > 0) {
            ring.push(entry)
            if (ring.length > replay)
              ring.shift()
          }
          listener.entry(entry)
          return entry.id
        },
        async since(id) {
          const parsed = parseEventId(id)
          const oldest = ring.length ? ring[0]!.seq : seq + 1
          if (!parsed || parsed.epoch !== epoch || parsed.seq > seq || parsed.seq < oldest - 1)
            return undefined
          return ring.filter(entry => entry.seq > parsed.seq)
        },
        stats: () => ({ name: 'memory', connected: true, lastId: formatEventId(epoch, seq) }),
        async close() {},
      }
    },
  }
}
