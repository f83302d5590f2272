import type { CssOutput } from '../shared/css-diff'
import type { ResolvedOptions } from '../shared/options'
import type { StandaloneLease } from '../shared/standalone'
import type { WatchBuild } from '../shared/watch-build'
import type { WebpackLikeCompiler } from './types'
import { infrastructureLogger } from '../shared/logger'
import { acquireStandalone } from '../shared/standalone'
import { createWatchBuild } from '../shared/watch-build'
import { cssOutputs, publicPathOf, toErrorPayload } from './compilation'
import { servedByDevServer } from './dev-server'
import { addClientEntry, htmlPluginClasses, injectClientTag } from './inject'

const NAME = 'live-assets'

/**
 * `webpack --watch` (or `watch: true`) without a dev server: the standalone server starts before the first
 * compilation, pages get the client from the HTML plugin or an added entry, and each build's emitted `.css` assets
 * are compared with the previous good build's. A dev server may watch too (webpack-cli 7 sets `watch: true` for
 * `webpack serve`): whether one serves the compiler is read from the hooks it tapped, and then the dev-server path
 * alone runs. A plain `webpack` build has no `watch` and starts nothing.
 */
export function webpackLikeWatch(compiler: WebpackLikeCompiler, options: ResolvedOptions, bundler: 'webpack' | 'rspack'): void {
  if (!compiler.options.watch)
    return
  let session: { lease: StandaloneLease, build: WatchBuild } | undefined
  let htmlPlugins: ReturnType<typeof htmlPluginClasses> = []

  compiler.hooks.watchRun.tapPromise(NAME, async () => {
    if (session || servedByDevServer(compiler))
      return
    const logger = infrastructureLogger(compiler.getInfrastructureLogger(NAME), options.debug)
    const lease = await acquireStandalone(options, logger)
    session = { lease, build: createWatchBuild(lease, options, bundler) }
    // Once per compiler: the server, and so its URL, lives as long as the process watches.
    if (htmlPlugins.length === 0) {
      htmlPlugins = htmlPluginClasses(compiler)
      if (htmlPlugins.length === 0)
        addClientEntry(compiler, options.server.base, lease.url)
    }
  })

  compiler.hooks.thisCompilation.tap(NAME, (compilation) => {
    if (session && htmlPlugins.length)
      injectClientTag(compilation, htmlPlugins, session.lease.clientUrl, options.nonce)
  })

  // Sources are read before they are written: after emitting, webpack keeps only their sizes.
  let emitted: CssOutput[] = []
  compiler.hooks.emit.tap(NAME, (compilation) => {
    if (session)
      emitted = cssOutputs(compilation, false)
  })

  compiler.hooks.done.tap(NAME, (stats) => {
    if (!session)
      return
    const { compilation } = stats
    const outputs = emitted
    emitted = []
    if (stats.hasErrors())
      return session.build.failed(toErrorPayload(compilation.errors, compiler.context, bundler))
    const configured = compilation.outputOptions.publicPath
    const publicPath = typeof configured === 'string' && configured !== 'auto' ? publicPathOf(compilation) : options.standalone.publicPath
    session.build.written(compilation.outputOptions.path ?? compiler.context, outputs, publicPath)
  })

  compiler.hooks.watchClose.tap(NAME, () => {
    session?.lease.release()
    session = undefined
  })
}
