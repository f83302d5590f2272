import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'

export interface ChangeCollectorOptions {
  /**
   * Changes are collected until none arrived for this long, then reported at once (a burst is never held back
   * longer than ten windows).
   * @default 20
   */
  debounceMs?: number
  /** Absolute paths whose content changed (or that were deleted), sorted. Never called with an empty list. */
  onChange: (files: string[]) => void
  /** A file could not be read for a reason other than being gone, or `onChange` threw. */
  onError: (error: Error, file?: string) => void
}

export interface ChangeCollector {
  /** Records the current content of files without reporting them, so that a first save without changes is quiet. */
  prime: (files: string[]) => Promise<void>
  /** A watcher saw this file change, appear or disappear. */
  add: (file: string) => void
  /** Drops pending changes and stops the timer; later `add` calls are ignored. */
  close: () => void
}

const GONE = new Set(['ENOENT', 'ENOTDIR', 'EISDIR'])

/**
 * chokidar drops a `change` that follows another one for the same file within 50 ms, with no trailing event: each
 * reported file is read once more after that window, so a second quick save is not lost (its hash tells if it was).
 */
const RECHECK_AFTER_MS = 60

/**
 * Coalescing and content-hash de-duplication for events from a watcher we do not own (Vite's), so that one save,
 * an editor's write-rename dance or a formatter's second write becomes one report, and a save that changes
 * nothing becomes none.
 */
export function createChangeCollector(options: ChangeCollectorOptions): ChangeCollector {
  const debounceMs = options.debounceMs ?? 20
  const hashes = new Map<string, string>()
  let pending = new Set<string>()
  const rechecks = new Map<string, NodeJS.Timeout>()
  let timer: NodeJS.Timeout | undefined
  let deadline = 0
  let closed = false
  // One batch at a time, so that an older batch never records its hash over a newer one.
  let queue = Promise.resolve()

  async function read(file: string): Promise<string | undefined> {
    try {
      return createHash('sha1').update(await readFile(file)).digest('base64')
    }
    catch (error) {
      if (!GONE.has((error as NodeJS.ErrnoException).code ?? ''))
        options.onError(error as Error, file)
      return undefined
    }
  }

  async function report(files: string[]): Promise<void> {
    const hashed = await Promise.all(files.map(async file => [file, await read(file)] as const))
    const changed = hashed.filter(([file, hash]) => hashes.get(file) !== hash).map(([file]) => file)
    for (const [file, hash] of hashed) {
      if (hash === undefined)
        hashes.delete(file)
      else
        hashes.set(file, hash)
    }
    if (!closed && changed.length)
      options.onChange(changed.sort())
  }

  function collect(file: string): void {
    if (closed)
      return
    pending.add(file)
    const now = Date.now()
    if (timer === undefined)
      deadline = now + debounceMs * 10
    clearTimeout(timer)
    timer = setTimeout(flush, Math.max(0, Math.min(debounceMs, deadline - now)))
    timer.unref()
  }

  function flush(): void {
    const files = [...pending]
    pending = new Set()
    timer = undefined
    queue = queue.then(() => report(files)).catch(error => options.onError(error as Error))
  }

  return {
    prime(files) {
      queue = queue.then(async () => {
        await Promise.all(files.map(async (file) => {
          const hash = await read(file)
          if (hash !== undefined && !hashes.has(file))
            hashes.set(file, hash)
        }))
      })
      return queue
    },
    add(file) {
      if (closed)
        return
      collect(file)
      clearTimeout(rechecks.get(file))
      const recheck = setTimeout(() => {
        rechecks.delete(file)
        collect(file)
      }, RECHECK_AFTER_MS)
      recheck.unref()
      rechecks.set(file, recheck)
    },
    close() {
      closed = true
      clearTimeout(timer)
      rechecks.forEach(recheck => clearTimeout(recheck))
      rechecks.clear()
      pending.clear()
    },
  }
}
