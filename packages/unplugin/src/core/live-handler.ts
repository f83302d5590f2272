import type { ErrorPayload, Handler, ReloadAssetsPayload, ReloadCSSPayload, RenamedFile } from '@live-assets/core'
import type { PluginLogger } from './logger'
import type { ResolvedOptions } from './options'
import { createHandler, EVENTS, ROUTES } from '@live-assets/core'

/** The few events a bundler integration publishes, over any core handler: a dev server's or a standalone server's. */
export interface LiveEvents {
  /** Sends one `reloadCSS`; does nothing for an empty list (a no-op save is not news). */
  reloadCSS: (files: string[], renamed?: RenamedFile[]) => void
  /** Sends one `reloadAssets` (changed images); does nothing for an empty list. */
  reloadAssets: (files: string[]) => void
  /**
   * Reports (or, with `undefined`, resolves) the error of one source: the compilation, or one stylesheet. The page
   * shows the oldest unresolved one and gets `clearError` once none is left.
   */
  setError: (source: string, error: ErrorPayload | undefined) => void
}

/** The core handler as a dev server mounts it, with the few events a bundler integration publishes. */
export interface LiveHandler extends LiveEvents {
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
  return { middleware, ...createLiveEvents(middleware, logger), close: () => middleware.close() }
}

export function createLiveEvents(handler: Handler, logger: PluginLogger): LiveEvents {
  const errors = new Map<string, ErrorPayload>()
  return {
    reloadCSS(files, renamed = []) {
      if (files.length === 0)
        return
      const payload: ReloadCSSPayload = renamed.length ? { files, renamed } : { files }
      handler.publish(EVENTS.reloadCSS, payload)
      logger.debug(`reloadCSS ${files.join(', ')}${renamed.length ? ` (renamed ${renamed.map(r => `${r.from} -> ${r.to}`).join(', ')})` : ''}`)
      // Pages hide the overlay on a good `reloadCSS`; another source's error is still unresolved.
      const shown = errors.values().next().value
      if (shown)
        handler.publish(EVENTS.error, shown)
    },
    reloadAssets(files) {
      if (files.length === 0)
        return
      handler.publish(EVENTS.reloadAssets, { files } satisfies ReloadAssetsPayload)
      logger.debug(`reloadAssets ${files.join(', ')}`)
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
        logger.debug(`error ${next.file ?? ''}${next.line ? `:${next.line}` : ''} ${next.message.split('\n')[0]}`)
      }
      else {
        handler.publish(EVENTS.clearError, {})
        logger.debug('clearError')
      }
    },
  }
}
