import type { DevServerConfig, DevServerInstance, DevServerMiddleware, StaticConfigItem, WebpackLikeCompiler } from './types'
import { fileKind } from '@live-assets/core'

const NAME = 'live-assets'

/**
 * The names under which dev servers tap the compiler's hooks: webpack-dev-server 5 and 6, the webpack-dev-middleware
 * inside them, @rspack/dev-server.
 */
const DEV_SERVER_TAPS = new Set(['webpack-dev-server', 'webpack-dev-middleware', 'rspack-dev-server'])

/**
 * Whether a dev server serves this compiler, seen from the hooks it tapped when it was applied as a plugin or when
 * it started: true whatever options it was given, and whoever started it.
 */
export function servedByDevServer(compiler: WebpackLikeCompiler): boolean {
  const { watchRun, invalid, done } = compiler.hooks
  return [watchRun, invalid, done].some(hook => hook.taps.some(tap => DEV_SERVER_TAPS.has(tap.name)))
}

/** A dev server applied as a plugin: it reads its own `options`, never `compiler.options.devServer`. */
interface DevServerPlugin {
  options: DevServerConfig | undefined
}

/**
 * The option objects the dev servers of this compiler will read, so that `patch` reaches each one:
 * - `compiler.options.devServer`: webpack-cli 6 (webpack-dev-server 5) and @rspack/cli copy it after plugins are
 *   applied, and the Node API is documented with it;
 * - the options of dev servers in the config's plugins: webpack-cli 7 builds a webpack-dev-server 6 plugin from the
 *   raw `devServer` config before any plugin runs and appends it to `plugins`.
 * Each gets a new object; the user's config is not modified.
 */
export function patchDevServerOptions(compiler: WebpackLikeCompiler, patch: (options: DevServerConfig | undefined) => DevServerConfig): void {
  const devServer = compiler.options.devServer as DevServerConfig | false | undefined
  if (devServer !== false)
    compiler.options.devServer = patch(devServer)
  for (const plugin of compiler.options.plugins) {
    if (isDevServerPlugin(plugin))
      plugin.options = patch(plugin.options)
  }
}

function isDevServerPlugin(plugin: unknown): plugin is DevServerPlugin {
  const candidate = plugin as { options?: unknown, setupMiddlewares?: unknown, start?: unknown } | null
  return typeof candidate?.setupMiddlewares === 'function' && typeof candidate.start === 'function'
    && (candidate.options === undefined || typeof candidate.options === 'object')
}

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
    // Options patched twice (a dev server given `compiler.options.devServer` and applied as a plugin) mount once.
    if (theirs.some(middleware => typeof middleware !== 'function' && middleware.name === NAME))
      return theirs
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
