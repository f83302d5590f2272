import type { Handler } from './handler'
import type { Logger } from './logger'
import type { ErrorPayload, ReloadAssetsPayload, ReloadCSSPayload, RenamedFile } from './protocol'
import { EVENTS } from './protocol'

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
}

/** A logger that may have a `debug` level of its own; without one, debug lines are not shown. */
type PublisherLogger = Logger & { debug?: (message: string) => void }

export function createPublisher(handler: Handler, logger: PublisherLogger): Publisher {
  const debug = (message: string): void => logger.debug?.(message)
  const errors = new Map<string, ErrorPayload>()
  return {
    reloadCSS(files, renamed = []) {
      if (files.length === 0)
        return
      const payload: ReloadCSSPayload = renamed.length ? { files, renamed } : { files }
      handler.publish(EVENTS.reloadCSS, payload)
      debug(`reloadCSS ${files.join(', ')}${renamed.length ? ` (renamed ${renamed.map(r => `${r.from} -> ${r.to}`).join(', ')})` : ''}`)
      // Pages hide the overlay on a good `reloadCSS`; another source's error is still unresolved.
      const shown = errors.values().next().value
      if (shown)
        handler.publish(EVENTS.error, shown)
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
  }
}
