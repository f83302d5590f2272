import type { Handler, Publisher } from '@live-assets/core'
import type { PluginLogger } from './logger'
import type { ResolvedOptions } from './options'
import { createHandler, createPublisher, ROUTES } from '@live-assets/core'

/** The core handler as a dev server mounts it, with the few events a bundler integration publishes. */
export interface LiveHandler extends Publisher {
  middleware: Handler
  close: () => void
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
