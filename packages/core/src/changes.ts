import type { Buffer } from 'node:buffer'
import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'

export interface ChangeCollectorOptions {
  /**
   * Coalescing window in ms. A change after a quiet window is reported at once; the changes that follow it are
   * collected until none arrived for this long, then reported together (a burst is never held back longer than
   * ten windows).
   * @default 20
   */
  debounceMs?: number
  /**
   * Absolute paths whose content changed (or that were deleted), sorted. Never called with an empty list.
   * `contents` holds the bytes that were hashed, for each of them that exists: a consumer that needs them (the
   * stylesheet check) does not read the file again, and checks exactly the version that was found changed.
   * `hashes` holds the content hash of each of them that exists.
   */
  onChange: (files: string[], contents: ReadonlyMap<string, Buffer>, hashes: ReadonlyMap<string, string>) => void
  /** A file could not be read for a reason other than being gone (with `file`), or `onChange` threw (without). */
  onError: (error: Error, file?: string) => void
}

export interface ChangeCollector {
  /**
   * Records the current content of files without reporting them, so that a first save without changes is quiet. A
   * file modified since the collector was made is reported instead: it was saved while its watcher was starting, and
   * its event may come after this read, which would make it look unchanged. The recorded files are read again after
   * each of {@link PRIME_CHECKS_MS}: a save made before its watcher watched the file has no event at all.
   */
  prime: (files: string[]) => Promise<void>
  /** A watcher saw this file change, appear or disappear. */
  add: (file: string) => void
  /** Drops pending changes and stops the timers; later `add` calls are ignored. Resolves when no read is running. */
  close: () => Promise<void>
}

const GONE = new Set(['ENOENT', 'ENOTDIR', 'EISDIR'])

/**
 * chokidar drops a `change` that follows another one for the same file within 50 ms, with no trailing event: each
 * reported file is read once more after that window, so a second quick save is not lost (its hash tells if it was).
 */
const RECHECK_AFTER_MS = 60

/**
 * A watcher's scan records a file's state before it watches it (chokidar stats it, then calls `fs.watch`), and a busy
 * machine or a large tree (Vite watches the whole root) puts milliseconds to seconds between the two, during which
 * a save has no event. The files recorded at start are read again after each of these delays, and a change reported.
 */
const PRIME_CHECKS_MS = [300, 3_000]

/** The hash of an empty file: told apart, because a file being rewritten is empty for a moment. */
const EMPTY = 'empty'

/**
 * A file read empty right after a change is read again after each of these delays before it counts as emptied: soon
 * at first, since a writer's truncate and its write are usually well under a millisecond apart (a read is now fast
 * enough to land between them), then backing off; 63 ms in all. A file has one such series at a time, whichever read
 * found it empty (an event, a re-check, or both at once): two series counting one budget would spend it in a few ms.
 */
const EMPTY_RETRY_MS = [1, 2, 4, 8, 16, 32]

/** A checkout of thousands of files must not open them all at once (EMFILE). */
const READ_CONCURRENCY = 32

/**
 * The files of a batch this small, each up to this size, are read synchronously: that takes a few system calls,
 * some microseconds, while `readFile()` makes four thread-pool round trips (open, stat, read, close), which a busy
 * machine turns into milliseconds, all of them between a save and its event. Their contents are handed on, so that
 * they are not read again; a larger batch (a checkout) is read as before and only its hashes are kept.
 */
const SMALL_BATCH_FILES = 8
const SYNC_READ_BYTES = 1024 * 1024

/** What reading one file gave: `undefined` hash when it is gone, its content when the batch was small. */
interface Read {
  hash: string | undefined
  content?: Buffer
}

/**
 * Coalescing and content-hash de-duplication for the events of any watcher (ours, or Vite's), so that one save, an
 * editor's write-rename dance or a formatter's second write becomes one report, and a save that changes nothing
 * becomes none.
 */
export function createChangeCollector(options: ChangeCollectorOptions): ChangeCollector {
  const debounceMs = options.debounceMs ?? 20
  // Below a millisecond: a file written just before, in the same millisecond, must not look newer.
  const createdAt = performance.timeOrigin + performance.now()
  const hashes = new Map<string, string>()
  let pending = new Set<string>()
  const rechecks = new Map<string, NodeJS.Timeout>()
  const primeChecks: NodeJS.Timeout[] = []
  /** Files read again by their re-check alone, with no event since. */
  const checking = new Set<string>()
  /** Files read empty right after their change: how often, and the next read while one is due. */
  const emptyReads = new Map<string, { count: number, retry?: NodeJS.Timeout }>()
  let timer: NodeJS.Timeout | undefined
  let deadline = 0
  /** Until then, changes are batched: the last report went out less than a window ago. */
  let quietUntil = 0
  let closed = false
  // One batch at a time, so that an older batch never records its hash over a newer one.
  let queue = Promise.resolve()

  const enqueue = (task: () => Promise<void>): Promise<void> => {
    queue = queue.then(task).catch(error => options.onError(error as Error))
    return queue
  }

  /** @returns the content, or `undefined` when the file is gone or unreadable */
  async function contentOf(file: string, sync: boolean): Promise<Buffer | undefined> {
    try {
      return sync && statSync(file).size <= SYNC_READ_BYTES ? readFileSync(file) : await readFile(file)
    }
    catch (error) {
      if (!GONE.has((error as NodeJS.ErrnoException).code ?? ''))
        options.onError(error as Error, file)
      return undefined
    }
  }

  function modifiedSince(file: string, time: number): boolean {
    try {
      return statSync(file).mtimeMs >= time
    }
    catch {
      return false
    }
  }

  async function readAll(files: string[]): Promise<Read[]> {
    const small = files.length <= SMALL_BATCH_FILES
    const read: Read[] = []
    for (let i = 0; i < files.length; i += READ_CONCURRENCY) {
      const contents = await Promise.all(files.slice(i, i + READ_CONCURRENCY).map(file => contentOf(file, small)))
      read.push(...contents.map(content => ({ hash: hashOf(content), ...small && content && { content } })))
    }
    return read
  }

  /**
   * @param files the batch
   * @param window the end of the quiet window its flush opened, if it did
   */
  async function report(files: string[], window?: number): Promise<void> {
    const read = await readAll(files)
    const changed: string[] = []
    const contents = new Map<string, Buffer>()
    const changedHashes = new Map<string, string>()
    files.forEach((file, i) => {
      const { hash, content } = read[i]!
      // A re-check looks for a save that chokidar swallowed. A deletion is the watcher's to report, after its wait for
      // an editor's delete-and-rename: reported sooner, the file written again within that wait is one chokidar
      // takes for a change, after which it misses the file's next deletion.
      if (checking.delete(file) && hash === undefined)
        return
      // A file just truncated for rewriting looks empty: read it again shortly, unless a read of it is already due.
      const empty = emptyReads.get(file) ?? { count: 0 }
      if (hash === EMPTY && hashes.get(file) !== EMPTY && (empty.retry || empty.count < EMPTY_RETRY_MS.length)) {
        empty.retry ??= setTimeout(() => {
          empty.retry = undefined
          readAgain(file)
        }, EMPTY_RETRY_MS[empty.count++]).unref()
        emptyReads.set(file, empty)
        return
      }
      clearTimeout(empty.retry)
      emptyReads.delete(file)
      if (hashes.get(file) !== hash) {
        changed.push(file)
        if (hash !== undefined)
          changedHashes.set(file, hash)
        // An empty read may still be a writer caught between its truncate and its write (past the retries above):
        // it is not handed on, so a consumer reads what is on disk by the time it looks.
        if (content?.length)
          contents.set(file, content)
      }
      if (hash === undefined)
        hashes.delete(file)
      else
        hashes.set(file, hash)
    })
    // Nothing went out (a file caught between its truncate and its write, a save without changes): the next event,
    // such as the write itself, is news again and goes out at once.
    if (!changed.length && window !== undefined && quietUntil === window)
      quietUntil = 0
    if (!closed && changed.length)
      options.onChange(changed.sort(), contents, changedHashes)
  }

  function collect(file: string): void {
    if (closed)
      return
    checking.delete(file)
    pending.add(file)
    const now = Date.now()
    // Leading edge: a save after a quiet window goes out at once instead of waiting for the window to pass. A
    // half-written file read now is read again by its re-check, and its final content sent then.
    if (timer === undefined && now >= quietUntil)
      return flush()
    if (timer === undefined)
      deadline = now + debounceMs * 10
    clearTimeout(timer)
    timer = setTimeout(flush, Math.max(0, Math.min(debounceMs, deadline - now)))
    timer.unref()
  }

  /**
   * Reads a file once more, as a check rather than a new change: it joins a batch under way, or is read at once. It
   * opens no quiet window, so a real save right after it goes out at once.
   */
  function readAgain(...files: string[]): void {
    if (closed)
      return
    for (const file of files)
      pending.add(file)
    if (timer === undefined)
      flush(false)
  }

  /** Reads files again to look for a save that had no event of its own (see `checking`). */
  function recheck(files: string[]): void {
    files.forEach(file => checking.add(file))
    if (files.length)
      readAgain(...files)
  }

  /** The re-check of the files recorded at start; a file with a change under way is left to it. */
  function checkPrimed(files: string[]): void {
    recheck(files.filter(file => !pending.has(file) && !rechecks.has(file)))
  }

  function flush(opensWindow = true): void {
    const files = [...pending]
    pending = new Set()
    timer = undefined
    const window = opensWindow ? quietUntil = Date.now() + debounceMs : undefined
    void enqueue(() => report(files, window))
  }

  return {
    prime(files) {
      return enqueue(async () => {
        const read = await readAll(files)
        files.forEach((file, i) => {
          const { hash } = read[i]!
          if (hash === undefined || hashes.has(file))
            return
          // Stat'ed after the read: a save between the two is reported too, and reads its final content. The kernel
          // stamps files from a clock up to a tick (4-10 ms) behind `Date.now()`: a file written before the collector
          // never looks newer (nothing is reported at start), one saved in its first milliseconds may look older.
          if (modifiedSince(file, createdAt))
            collect(file)
          else
            hashes.set(file, hash)
        })
        const primed = files.filter(file => hashes.has(file))
        if (primed.length && !closed)
          primeChecks.push(...PRIME_CHECKS_MS.map(delay => setTimeout(checkPrimed, delay, primed).unref()))
      })
    },
    add(file) {
      if (closed)
        return
      collect(file)
      clearTimeout(rechecks.get(file))
      const later = setTimeout(() => {
        rechecks.delete(file)
        recheck([file])
      }, RECHECK_AFTER_MS)
      later.unref()
      rechecks.set(file, later)
    },
    close() {
      closed = true
      clearTimeout(timer)
      rechecks.forEach(later => clearTimeout(later))
      rechecks.clear()
      primeChecks.forEach(check => clearTimeout(check))
      emptyReads.forEach(({ retry }) => clearTimeout(retry))
      emptyReads.clear()
      pending.clear()
      return queue
    },
  }
}

function hashOf(content: Buffer | undefined): string | undefined {
  if (content === undefined)
    return undefined
  return content.length ? createHash('sha1').update(content).digest('base64') : EMPTY
}
