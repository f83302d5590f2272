import type { Handler, Mount, Publisher, Watcher } from '@live-assets/core'
import type { PluginLogger } from './logger'
import type { ResolvedOptions } from './options'
import { createHandler, createPublisher, ROUTES, watchMount, watchMounts } from '@live-assets/core'

/** The core handler as a dev server mounts it, with the few events a bundler integration publishes. */
export interface LiveHandler extends Publisher {
  middleware: Handler
  close: () => Promise<void>
}

/**
 * One handler per dev server start: a restart gets a new epoch, which tells clients to refresh their sheets once.
 * The handler is mounted behind the dev server's own `Host` check (Vite's `server.allowedHosts`, webpack-dev-server's
 * `allowedHosts`), which already refused what it does not serve; a second, different list would only refuse pages
 * the dev server serves, such as one opened through a LAN address.
 */
export function createLiveHandler(options: ResolvedOptions, logger: PluginLogger): LiveHandler {
  const middleware = createHandler({ ...options.server, allowedHosts: true, logger })
  logger.debug(`serving ${options.server.base}${ROUTES.events} and ${options.server.base}${ROUTES.client}`)
  return { middleware, ...createPublisher(middleware, logger), close: () => middleware.close() }
}

/** The directories a dev server serves as they are, and the files of the `watch` option (relative to `root`). */
export function servedMounts(served: Mount[], options: ResolvedOptions, root: string): Mount[] {
  return options.watch ? [...served, watchMount(options.watch, root)] : served
}

/**
 * Watches the stylesheets and images a dev server serves as they are (its static or public directories) and those of
 * the `watch` option, and publishes their changes.
 * @param served the dev server's directories, each with its URL path
 * @param root the project root: `watch` globs are relative to it
 * @returns the watcher, or nothing when there is nothing to watch
 */
export function watchServedFiles(served: Mount[], root: string, options: ResolvedOptions, logger: PluginLogger, live: LiveHandler): Watcher | undefined {
  const mounts = servedMounts(served, options, root)
  return mounts.length ? watchMounts(live, { mounts, cwd: root, logger }) : undefined
}
