import type { DevServerConfig, DevServerInstance, DevServerMiddleware, StaticConfigItem } from './types'
import { fileKind } from '@live-assets/core'

/** The dev server's own security checks; the live-assets endpoints go right after them. */
const SECURITY_CHECKS = new Set(['host-header-check', 'cross-origin-header-check'])

/**
 * Places the endpoints after the dev server's Host and cross-origin checks and before everything else, compression
 * included: a compressing middleware would hold events back until its buffer fills.
 */
export function insertAfterSecurityChecks(middlewares: DevServerMiddleware[], ours: DevServerMiddleware): DevServerMiddleware[] {
  let index = 0
  middlewares.forEach((middleware, i) => {
    if (typeof middleware !== 'function' && middleware.name && SECURITY_CHECKS.has(middleware.name))
      index = i + 1
  })
  return [...middlewares.slice(0, index), ours, ...middlewares.slice(index)]
}

/**
 * A `setupMiddlewares` that runs the user's own first, then adds ours, then tells the plugin which dev server
 * started.
 */
export function wrapSetupMiddlewares(
  user: DevServerConfig['setupMiddlewares'],
  mount: (devServer: DevServerInstance) => DevServerMiddleware,
): NonNullable<DevServerConfig['setupMiddlewares']> {
  return (middlewares, devServer) => {
    const theirs = user ? user(middlewares, devServer) : middlewares
    return insertAfterSecurityChecks(theirs, mount(devServer))
  }
}

/**
 * The dev server reloads the page when a file in a `static` directory changes (`liveReload`). Stylesheets and images
 * there are ours to update in place, and a stylesheet's source map comes with its swap, so its watcher is told to ignore
 * them; every other file still reloads the page.
 */
export function ignoreStylesheetsInStatic(option: DevServerConfig['static']): DevServerConfig['static'] {
  if (option === false)
    return option
  if (option === undefined || option === true)
    return withIgnoredStylesheets({})
  if (Array.isArray(option))
    return option.map(item => withIgnoredStylesheets(typeof item === 'string' ? { directory: item } : item))
  return withIgnoredStylesheets(typeof option === 'string' ? { directory: option } : option)
}

function withIgnoredStylesheets(item: StaticConfigItem): StaticConfigItem {
  if (item.watch === false)
    return item
  const watch = typeof item.watch === 'object' ? item.watch : {}
  const ignored = watch.ignored === undefined ? [] : [watch.ignored].flat()
  return { ...item, watch: { ...watch, ignored: [...ignored, (file: string) => fileKind(file) !== 'other'] } }
}
