import type { Buffer } from 'node:buffer'
import type { Broadcaster } from './broadcaster'
import type { FileVersion } from './bus'
import type { Handler } from './handler'
import type { Logger } from './logger'
import type { Mount } from './mounts'
import type { ErrorPayload, ReloadAssetsPayload, ReloadCSSPayload, RenamedFile } from './protocol'
import type { Watcher, WatcherOptions } from './watcher'
import { statSync } from 'node:fs'
import path from 'node:path'
import { fileKind } from './files'
import { matcher, urlsOf } from './mounts'
import { EVENTS } from './protocol'
import { checkStylesheet } from './stylesheet-check'
import { createWatcher } from './watcher'

/**
 * What every path from a change to the page publishes, over any handler (a dev server's, the CLI's, a watch-mode
 * build's standalone one): swaps, image refreshes, and the errors of several sources at once.
 */
export interface Publisher {
  /** Sends one `reloadCSS`; does nothing for an empty list (a no-op save is not news). */
  reloadCSS: (files: string[], renamed?: RenamedFile[]) => void
  /** Sends one `reloadAssets` (changed images); does nothing for an empty list. */
  reloadAssets: (files: string[]) => void
  /**
   * Reports (or, with `undefined`, resolves) the error of one source: a compilation, or one stylesheet. The page
   * shows the oldest unresolved one and gets `clearError` once none is left.
   */
  setError: (source: string, error: ErrorPayload | undefined) => void
  /**
   * Sends one batch of changes, with a line in the terminal: a page reload if anything in `reload` changed, else the
   * stylesheet swaps and image refreshes. Saved files ({@link createFilePublisher}) and watch-mode build outputs both
   * end here.
   */
  changed: (batch: ChangeBatch) => void
  /** Of these files' keys, those this process publishes: see {@link Broadcaster.claim}. */
  claim: Broadcaster['claim']
}

/** A logger that may have a `debug` level of its own; without one, debug lines are not shown. */
type PublisherLogger = Logger & { debug?: (message: string) => void }

export function createPublisher(handler: Handler, logger: PublisherLogger): Publisher {
  const debug = (message: string): void => logger.debug?.(message)
  const errors = new Map<string, ErrorPayload>()
  const publisher: Publisher = {
    reloadCSS(files, renamed = []) {
      if (files.length === 0)
        return
      const payload: ReloadCSSPayload = renamed.length ? { files, renamed } : { files }
      // Another source's error is still unresolved: it stays on the page.
      handler.publish(EVENTS.reloadCSS, payload, { resolvesError: errors.size === 0 })
      debug(`reloadCSS ${files.join(', ')}${renamed.length ? ` (renamed ${renamed.map(r => `${r.from} -> ${r.to}`).join(', ')})` : ''}`)
    },
    reloadAssets(files) {
      if (files.length === 0)
        return
      handler.publish(EVENTS.reloadAssets, { files } satisfies ReloadAssetsPayload)
      debug(`reloadAssets ${files.join(', ')}`)
    },
    setError(source, error) {
      const shown = errors.values().next().value
      if (error)
        errors.set(source, error)
      else
        errors.delete(source)
      const next = errors.values().next().value
      if (JSON.stringify(next) === JSON.stringify(shown))
        return
      if (next) {
        handler.publish(EVENTS.error, next)
        debug(`error ${next.file ?? ''}${next.line ? `:${next.line}` : ''} ${next.message.split('\n')[0]}`)
      }
      else {
        handler.publish(EVENTS.clearError, {})
        debug('clearError')
      }
    },
    changed({ reload = [], css = [], renamed, images = [] }) {
      const pages = (): string => `(${handler.broadcaster.stats().subscribers} pages)`
      if (reload.length) {
        logger.info(`page reload: ${reload.join(', ')} changed ${pages()}`)
        handler.publish(EVENTS.reload, { reason: `${path.posix.basename(reload[0])} changed` })
        return
      }
      if (css.length)
        logger.info(`css update: ${css.join(', ')} ${pages()}`)
      publisher.reloadCSS(css, renamed)
      if (images.length)
        logger.info(`image update: ${images.join(', ')} ${pages()}`)
      publisher.reloadAssets(images)
    },
    claim: (keys, versions) => handler.broadcaster.claim(keys, versions),
  }
  return publisher
}

/** One batch of changes, as the page requests them. */
export interface ChangeBatch {
  /** Changed files that reload the page, named for the log: a reload makes the rest of the batch moot. */
  reload?: string[]
  /** URL paths of changed stylesheets. */
  css?: string[]
  renamed?: RenamedFile[]
  /** URL paths of changed images. */
  images?: string[]
}

export interface FilePublisherOptions {
  /** The directories the pages request files from, each under its URL path. */
  mounts: Mount[]
  /** The project root: `reload` globs are relative to it, and messages name files relative to it. */
  cwd: string
  /** Globs of files whose change reloads the page (a template, a config). @default [] */
  reload?: string[]
  logger: PublisherLogger
}

/**
 * What a batch of saved files (absolute paths, from any watcher) turns into: a changed `reload` file reloads the page;
 * a stylesheet with a syntax error is not sent (the browser would drop everything after it), the page keeps the old
 * sheet and shows the error until the file parses again; the good ones go out as one `reloadCSS` under every URL
 * their mounts give them, changed images as one `reloadAssets`. A source map changes with its stylesheet, whose swap
 * already brings it: it sends nothing of its own.
 * Where several processes watch the same files over a shared bus, each change is published by the first of them to
 * claim its version.
 * @returns a function to call with each batch, and with the contents and hashes already read of its files (as the
 * change collector gives them; a stylesheet without content is read); batches are handled one after another, so that
 * the check of one is never overtaken by the next save
 */
export function createFilePublisher(publisher: Publisher, { mounts, cwd, reload = [], logger }: FilePublisherOptions): (files: string[], contents?: ReadonlyMap<string, Buffer | string>, hashes?: ReadonlyMap<string, string>) => void {
  const isReload = matcher(reload, cwd)
  const relative = (file: string): string => path.relative(cwd, file).replace(/\\/g, '/')
  const urls = (files: string[]): string[] => [...new Set(files.flatMap(file => urlsOf(file, mounts)))].sort()
  let queue = Promise.resolve()

  const keyOf = (file: string): string => urlsOf(file, mounts)[0] ?? relative(file)

  /** The batch's files that this process publishes. */
  async function claimed(files: string[], hashes?: ReadonlyMap<string, string>): Promise<string[]> {
    const keys = files.map(keyOf)
    const mine = await publisher.claim(keys, () => new Map(files.map((file, i) => [keys[i]!, versionOf(file, hashes?.get(file))])))
    const others = files.filter((_, i) => !mine.has(keys[i]!))
    if (others.length)
      logger.debug?.(`${others.map(relative).join(', ')}: already published by another process`)
    // Another process checks them: an error this one had for them is its to resolve.
    for (const file of others.filter(file => fileKind(file) === 'stylesheet'))
      publisher.setError(`stylesheet:${file}`, undefined)
    return files.filter((_, i) => mine.has(keys[i]!))
  }

  async function publish(all: string[], contents?: ReadonlyMap<string, Buffer | string>, hashes?: ReadonlyMap<string, string>): Promise<void> {
    const files = await claimed(all, hashes)
    const reloads = reload.length ? files.filter(file => fileKind(file) === 'other' && isReload(file)) : []
    if (reloads.length)
      return publisher.changed({ reload: reloads.map(relative) })
    const good: string[] = []
    for (const file of files.filter(file => fileKind(file) === 'stylesheet')) {
      const error = await checkStylesheet(file, cwd, contents?.get(file))
      publisher.setError(`stylesheet:${file}`, error)
      if (error)
        logger.warn(`${relative(file)}${error.line ? `:${error.line}` : ''}: ${error.message.split('\n')[0]}; the page keeps the previous version and shows the error.`)
      else
        good.push(file)
    }
    publisher.changed({ css: urls(good), images: urls(files.filter(file => fileKind(file) === 'image')) })
  }

  return (files, contents, hashes) => {
    queue = queue.then(() => publish(files, contents, hashes)).catch(error => logger.error(`could not send a change: ${(error as Error).message}`))
  }
}

/** A file's version as every process that sees it tells it: its mtime and hash (a deletion: its directory's mtime). */
function versionOf(file: string, hash: string | undefined): FileVersion {
  try {
    return { mtimeMs: statSync(file).mtimeMs, digest: hash ?? 'unhashed' }
  }
  catch {}
  try {
    return { mtimeMs: statSync(path.dirname(file)).mtimeMs, digest: 'gone' }
  }
  catch {
    return { mtimeMs: Date.now(), digest: 'gone' }
  }
}

export interface WatchMountsOptions extends FilePublisherOptions, Partial<Omit<WatcherOptions, 'paths' | 'cwd' | 'logger' | 'onChange'>> {}

/** Watches the files of `mounts` (and `reload`) and publishes their changes: the CLI's, and a dev server's folders. */
export function watchMounts(publisher: Publisher, options: WatchMountsOptions): Watcher {
  const { mounts, reload = [] } = options
  // A `reload` glob is watched even when no mount covers it.
  return createWatcher({ ...options, paths: [...mounts.flatMap(mount => mount.watch), ...reload], onChange: createFilePublisher(publisher, options) })
}
