import type { FSWatcher } from 'chokidar'
import type { Stats } from 'node:fs'
import type { Logger } from './logger'
import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import process from 'node:process'
import { watch } from 'chokidar'
import { createChangeCollector } from './changes'
import { ALWAYS_IGNORED, hasIgnoredSegment, isUnder, isWatched, isWithin, toTarget } from './mounts'

export interface WatcherOptions {
  /**
   * Files, directories or globs to watch, relative to `cwd` or absolute. A directory reports every file under it;
   * a glob only the files it matches; a leading `!` makes an entry an ignore pattern.
   */
  paths: string | string[]
  /** @default process.cwd() */
  cwd?: string
  /**
   * Coalescing window in ms. A change after a quiet window is reported at once; the changes that follow it are
   * collected until none arrived for this long (a burst is never held back longer than 10 windows), then reported
   * in one `onChange` call.
   * @default 20
   */
  debounceMs?: number
  /** Poll instead of native events (Docker, WSL, network drives). @default false */
  usePolling?: boolean
  /** Poll interval in ms when polling. @default 100 */
  pollInterval?: number
  /** Extra ignore globs or paths, relative to `cwd` or absolute; node_modules and .git are always ignored. */
  ignored?: string[]
  logger: Logger
  /**
   * Called once per window with the changed files: absolute paths, sorted, de-duplicated, only files whose
   * content hash changed (or that were deleted).
   */
  onChange: (files: string[]) => void
}

export interface Watcher {
  /** Resolves when the initial scan is done and content hashes of existing files are recorded. */
  ready: Promise<void>
  /** Watch more paths/globs at runtime; their existing files are recorded, not reported. */
  add: (paths: string | string[]) => void
  /** Idempotent; stops everything, clears timers. */
  close: () => Promise<void>
}

/** Not part of the API: lets tests reach the chokidar instances, e.g. to emit an error. */
const CHOKIDAR_INSTANCES = Symbol.for('live-assets.watcher.chokidar')

const ERROR_HINTS: Record<string, string> = {
  ENOSPC: 'the system limit on file watchers is reached, so changes to some files are missed. Raise it (Linux: `sudo sysctl fs.inotify.max_user_watches=524288`), watch fewer files, or set `usePolling: true`',
  EMFILE: 'too many open files, so changes to some files are missed. Raise the limit (`ulimit -n`), watch fewer files, or set `usePolling: true`',
  EACCES: 'permission denied, so changes to those files are not reported. Make them readable by the dev server or add them to `ignored`',
  EPERM: 'operation not permitted, so changes to those files are not reported. Make them readable by the dev server or add them to `ignored`',
}

export function createWatcher(options: WatcherOptions): Watcher {
  const { logger, onChange } = options
  const cwd = path.resolve(options.cwd ?? process.cwd())
  const debounceMs = options.debounceMs ?? 20
  const pollInterval = options.pollInterval ?? 100
  const ignores = (options.ignored ?? []).map(pattern => toTarget(pattern, cwd))
  const instances: FSWatcher[] = []
  const reportedErrors = new Set<string>()
  const unsettled = new Set<() => void>()
  let closed = false
  let closing: Promise<void> | undefined

  function warnOnce(error: unknown, what: string): void {
    const code = (error as NodeJS.ErrnoException | undefined)?.code ?? describe(error)
    if (closed || reportedErrors.has(code))
      return
    reportedErrors.add(code)
    const hint = ERROR_HINTS[code] ?? 'some changes may be missed. If this keeps happening, set `usePolling: true`'
    logger.warn(`the file watcher could not ${what} (${describe(error)}): ${hint}. Watching continues; further ${code} errors are not shown.`)
  }

  const changes = createChangeCollector({
    debounceMs,
    onChange,
    onError: (error, file) => file
      ? warnOnce(error, `read ${file}`)
      : logger.error(`the onChange callback threw: ${describe(error)}. The watcher keeps running; fix the callback.`),
  })

  function start(patterns: string[]): Promise<void> {
    const targets = patterns.filter(p => !p.startsWith('!')).map(p => toTarget(p, cwd))
    ignores.push(...patterns.filter(p => p.startsWith('!')).map(p => toTarget(p.slice(1), cwd)))
    if (closed || targets.length === 0)
      return Promise.resolve()

    const wanted = (file: string): boolean => isWatched(file, targets, ignores)
    const entered = (dir: string): boolean =>
      !ignores.some(t => isUnder(t, dir)) && targets.some(t =>
        // the parent of the base is a root (see below); chokidar climbs further up while it does not exist yet
        isWithin(dir, path.dirname(t.base)) || (isWithin(t.base, dir) && !hasIgnoredSegment(t.base, dir)))

    const initial = new Set<string>()
    let scanned = false
    // chokidar only notices a deleted path coming back when it watches the parent directory (`rm -rf dist` before a
    // build, delete-and-recreate of a watched file), so it starts one level up and `ignored` keeps the siblings out.
    const instance = watch(unique(targets.map(t => path.dirname(t.base))), {
      // Without stats chokidar cannot tell files from directories yet; it asks again with stats.
      ignored: (file: string, stats?: Stats) => stats !== undefined && (stats.isFile() ? !wanted(path.resolve(file)) : !entered(path.resolve(file))),
      usePolling: options.usePolling ?? false,
      interval: pollInterval,
      // fonts and images too: chokidar polls "binary" extensions three times slower by default
      binaryInterval: pollInterval,
    })
    instances.push(instance)

    instance.on('error', error => warnOnce(error, 'watch some files'))
    instance.on('all', (event, eventPath) => {
      const file = path.resolve(eventPath)
      if (event === 'addDir' || event === 'unlinkDir' || !wanted(file))
        return
      if (!scanned) {
        if (event === 'unlink')
          initial.delete(file)
        else
          initial.add(file)
        return
      }
      changes.add(file)
    })

    return new Promise<void>((resolve) => {
      // close() before the scan ends must not leave `ready` pending
      unsettled.add(resolve)
      instance.once('ready', () => {
        scanned = true
        void changes.prime([...initial]).then(() => {
          unsettled.delete(resolve)
          resolve()
        })
      })
    })
  }

  const ready = start(toArray(options.paths))

  const watcher: Watcher = {
    ready,
    add: paths => void start(toArray(paths)),
    close: () => {
      closing ??= (async () => {
        closed = true
        const pending = changes.close()
        unsettled.forEach(resolve => resolve())
        await Promise.all(instances.map(instance => instance.close()))
        await pending
      })()
      return closing
    },
  }
  Object.defineProperty(watcher, CHOKIDAR_INSTANCES, { value: instances })
  return watcher
}

/**
 * The files a watcher of `paths` reports, as they are on disk now: the same matching as {@link createWatcher}
 * (globs, directories, files, `!` exclusions, `ignored`, node_modules and .git skipped). For diagnostics: "does this
 * glob match anything?".
 * @returns absolute paths, sorted
 */
export async function listWatchedFiles(paths: string | string[], cwd = process.cwd(), ignored: string[] = []): Promise<string[]> {
  const patterns = toArray(paths)
  const root = path.resolve(cwd)
  const targets = patterns.filter(p => !p.startsWith('!')).map(p => toTarget(p, root))
  const ignores = [...ignored, ...patterns.filter(p => p.startsWith('!')).map(p => p.slice(1))].map(p => toTarget(p, root))
  const found = new Set<string>()
  async function walk(entry: string, base: string): Promise<void> {
    const stats = await stat(entry).catch(() => undefined)
    if (stats?.isFile() && isWatched(entry, targets, ignores))
      found.add(entry)
    if (!stats?.isDirectory() || (entry !== base && ALWAYS_IGNORED.has(path.basename(entry))))
      return
    for (const name of await readdir(entry).catch(() => []))
      await walk(path.join(entry, name), base)
  }
  for (const target of targets)
    await walk(target.base, target.base)
  return [...found].sort()
}

function toArray(paths: string | string[]): string[] {
  return Array.isArray(paths) ? paths : [paths]
}

function unique(values: string[]): string[] {
  return [...new Set(values)]
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
