import type { Watcher } from '@live-assets/core'
import type { CssOutput } from '../shared/css-diff'
import type { LiveHandler } from '../shared/live-handler'
import type { PluginLogger } from '../shared/logger'
import type { ResolvedOptions } from '../shared/options'
import type { DevServerInstance, DevServerMiddleware, WebpackLikeCompiler } from './types'
import { directoryMount, ROUTES } from '@live-assets/core'
import { createCssDiff } from '../shared/css-diff'
import { createLiveHandler, watchServedFiles } from '../shared/live-handler'
import { infrastructureLogger } from '../shared/logger'
import { cssOutputs, publicPathOf, toErrorPayload } from './compilation'
import { ignoreStylesheetsInStatic, patchDevServerOptions, servedByDevServer, wrapSetupMiddlewares } from './dev-server'
import { addClientEntry, htmlPluginClasses, injectClientTag } from './inject'

const NAME = 'live-assets'

const DEV_SERVER_CLASSES = { webpack: 'WebpackDevServer', rspack: 'RspackDevServer' }

/**
 * webpack with webpack-dev-server, Rspack with @rspack/dev-server. Nothing happens until a dev server calls
 * `setupMiddlewares`, before its first compilation: a production build (no dev server) is left untouched.
 */
export function webpackLikeDevServer(compiler: WebpackLikeCompiler, options: ResolvedOptions, bundler: 'webpack' | 'rspack'): void {
  if (compiler.options.devServer === false)
    return
  const logger = infrastructureLogger(compiler.getInfrastructureLogger(NAME), options.debug)
  const clientSrc = `${options.server.base}${ROUTES.client}`
  let activated = false
  let current: { live: LiveHandler, devServer: DevServerInstance } | undefined
  // Set from each build's `output.publicPath` before its outputs are compared.
  let publicPath = '/'
  const cssDiff = createCssDiff(fileName => `${publicPath}${fileName}`)
  let htmlPlugins: ReturnType<typeof htmlPluginClasses> = []

  const mount = (instance: DevServerInstance): DevServerMiddleware => {
    if (!activated) {
      activated = true
      htmlPlugins = htmlPluginClasses(compiler)
      if (htmlPlugins.length === 0)
        addClientEntry(compiler, options.server.base)
    }
    const live = createLiveHandler(options, logger)
    const session = { live, devServer: instance }
    current = session
    const watcher = watchStaticStylesheets(instance, compiler.context, options, logger, live)
    explainReloadOptions(instance, logger, bundler)
    instance.server?.once('close', () => {
      live.close()
      void watcher?.close()
      if (current === session)
        current = undefined
    })
    return { name: NAME, middleware: live.middleware }
  }
  patchDevServerOptions(compiler, devServer => ({
    ...devServer,
    static: ignoreStylesheetsInStatic(devServer?.static),
    setupMiddlewares: wrapSetupMiddlewares(devServer?.setupMiddlewares, mount),
  }))

  compiler.hooks.thisCompilation.tap(NAME, (compilation) => {
    if (activated && htmlPlugins.length)
      injectClientTag(compilation, htmlPlugins, clientSrc, options.nonce)
  })

  // Sources are read before they are written: after emitting, webpack keeps only their sizes.
  let emitted: CssOutput[] = []
  compiler.hooks.emit.tap(NAME, (compilation) => {
    if (activated)
      emitted = cssOutputs(compilation, Boolean(current?.devServer.options.hot))
  })

  let warnedUnmounted = false
  compiler.hooks.done.tap(NAME, (stats) => {
    if (!activated) {
      if (!warnedUnmounted && servedByDevServer(compiler))
        logger.warn(`a dev server serves this build but was started with options of its own, so it never ran live-assets' setupMiddlewares and pages get no live updates: start it with the compiler's, new ${DEV_SERVER_CLASSES[bundler]}({ ...compiler.options.devServer, ...yourOptions }, compiler).`)
      warnedUnmounted = true
      return
    }
    const { compilation } = stats
    const outputs = emitted
    emitted = []
    if (stats.hasErrors()) {
      // Nothing is diffed from a failed build: the next good one is compared with the last good one.
      current?.live.setError('compilation', toErrorPayload(compilation.errors, compiler.context, bundler))
      return
    }
    publicPath = publicPathOf(compilation, current?.devServer.options.devMiddleware?.publicPath)
    const { files, renamed } = cssDiff.update(outputs)
    current?.live.setError('compilation', undefined)
    current?.live.reloadCSS(files, renamed)
  })
}

/** Stylesheets in the dev server's `static` directories and the `watch` option: not part of any compilation. */
function watchStaticStylesheets(devServer: DevServerInstance, context: string, options: ResolvedOptions, logger: PluginLogger, live: LiveHandler): Watcher | undefined {
  const mounts = (devServer.options.static || []).flatMap(item => item.publicPath.map(urlBase => directoryMount(item.directory, urlBase)))
  return watchServedFiles(mounts, context, options, logger, live)
}

/**
 * The webpack-HMR rule: with `hot` on, webpack's HMR swaps the stylesheets it bundles (on pages that run the bundle)
 * and live-assets leaves them alone; with `hot: false`, live-assets swaps them. `liveReload` without `hot` reloads the
 * page after every build, which would undo any swap.
 */
function explainReloadOptions(devServer: DevServerInstance, logger: PluginLogger, bundler: string): void {
  if (devServer.options.hot)
    logger.debug(`devServer.hot is on: ${bundler}'s HMR swaps the stylesheets it bundles; live-assets swaps static and watched ones and shows build errors.`)
  else if (devServer.options.liveReload)
    logger.warn(`devServer.liveReload reloads the page after every build, CSS-only ones included, so bundled stylesheets cannot be swapped in place: set devServer.liveReload: false to let live-assets swap them, or devServer.hot: true to let ${bundler}'s HMR do it.`)
}
