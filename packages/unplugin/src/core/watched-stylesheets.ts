import type { Watcher } from '@live-assets/core'
import type { LiveHandler } from './live-handler'
import type { PluginLogger } from './logger'
import type { ResolvedOptions } from './options'
import type { Mount } from './url-map'
import { checkStylesheet, createWatcher } from '@live-assets/core'
import { isStylesheet, urlsOf, watchMount } from './url-map'

/**
 * Watches the stylesheets and images a dev server serves as they are (its static or public directories) and those of
 * the `watch` option, and publishes their changes.
 * @param mounts the dev server's directories, each with its URL path
 * @param root the project root: `watch` globs are relative to it
 * @returns the watcher, or nothing when there is nothing to watch
 */
export function watchServedFiles(mounts: Mount[], root: string, options: ResolvedOptions, logger: PluginLogger, live: LiveHandler): Watcher | undefined {
  const all = options.watch ? [...mounts, watchMount(options.watch, root)] : mounts
  if (all.length === 0)
    return undefined
  return createWatcher({
    paths: all.flatMap(mount => mount.watch),
    cwd: root,
    logger,
    onChange: createStylesheetPublisher(live, all, root, error => logger.error(`could not send a stylesheet change: ${error.message}`)),
  })
}

/**
 * What a save of stylesheets no bundler builds turns into: a syntax error shows the overlay and the page keeps the old
 * sheet; the good ones are sent as one `reloadCSS`, under every URL their mounts give them. Changed images are sent
 * as one `reloadAssets`.
 * @returns a function to call with each batch of changed files; batches are handled one after another
 */
export function createStylesheetPublisher(live: LiveHandler, mounts: Mount[], root: string, onError: (error: Error) => void): (files: string[]) => void {
  let queue = Promise.resolve()

  async function publish(files: string[]): Promise<void> {
    const good: string[] = []
    const urls = (list: string[]): string[] => [...new Set(list.flatMap(file => urlsOf(file, mounts)))].sort()
    for (const file of files.filter(isStylesheet)) {
      const error = await checkStylesheet(file, root)
      live.setError(`stylesheet:${file}`, error)
      if (!error)
        good.push(file)
    }
    live.reloadCSS(urls(good))
    live.reloadAssets(urls(files.filter(file => !isStylesheet(file))))
  }

  return (files) => {
    queue = queue.then(() => publish(files)).catch(onError)
  }
}
