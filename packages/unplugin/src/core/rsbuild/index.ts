import type { Watcher } from '@live-assets/core'
import type { EnvironmentContext, RsbuildPlugin, RsbuildPluginAPI, Rspack } from '@rsbuild/core'
import type { Compilation } from 'webpack'
import type { CssOutput } from '../shared/css-diff'
import type { LiveHandler } from '../shared/live-handler'
import type { PluginLogger } from '../shared/logger'
import type { ResolvedOptions } from '../shared/options'
import type { WebpackLikeCompiler } from '../webpack-like/types'
import { directoryMount, ROUTES } from '@live-assets/core'
import { createCssDiff } from '../shared/css-diff'
import { createLiveHandler, watchServedFiles } from '../shared/live-handler'
import { prefixedLogger } from '../shared/logger'
import { cssOutputs, publicPathOf, toErrorPayload } from '../webpack-like/compilation'
import { addClientEntry } from '../webpack-like/inject'
import { keepLiveFilesOutOfPublicDirReload } from './public-dir'
import { createSourceCheck } from './source-check'

const NAME = 'live-assets'

/**
 * Rsbuild's dev server (`rsbuild dev`, `startDevServer()`). The plugin applies to the dev action only, so a production
 * `rsbuild build` (or `preview`) never sees it. The endpoints are mounted from `onBeforeStartDevServer`, which runs
 * after Rsbuild's Host check and before its CORS, proxy and compression middlewares; pages get the client through
 * `modifyHTMLTags`; each environment's compiler is compared build to build, as with Rspack's own dev server.
 */
export function rsbuildDevServer(options: ResolvedOptions): Partial<RsbuildPlugin> {
  return {
    apply: (_config, { action }) => action === 'dev',
    setup(api) {
      const logger = prefixedLogger(api.logger, options.debug)
      let session: { live: LiveHandler, watcher: Watcher | undefined } | undefined

      api.modifyRsbuildConfig(config => keepLiveFilesOutOfPublicDirReload(config, api.context.rootPath))

      api.modifyHTMLTags(({ headTags, bodyTags }) => {
        const src = `${options.server.base}${ROUTES.client}`
        return { headTags: [{ tag: 'script', attrs: options.nonce ? { src, nonce: options.nonce } : { src } }, ...headTags], bodyTags }
      })

      api.onBeforeStartDevServer(({ server, environments }) => {
        const live = createLiveHandler(options, logger)
        server.middlewares.use(live.middleware)
        session = { live, watcher: watchPublicStylesheets(api, options, logger, live) }
        explainReloadOptions(Object.values(environments), logger)
      })

      api.onCloseDevServer(async () => {
        const closing = session
        session = undefined
        closing?.live.close()
        await closing?.watcher?.close()
      })

      api.onAfterCreateCompiler(({ compiler, environments }) => {
        const compilers = 'compilers' in compiler ? compiler.compilers : [compiler]
        const byIndex = new Map(Object.values(environments).map(environment => [environment.index, environment]))
        compilers.forEach((child, index) => {
          const environment = byIndex.get(index)
          if (environment?.config.output.target !== 'web')
            return
          // Without HTML pages (`tools.htmlPlugin: false`) the client comes in an added entry, as in webpack.
          if (Object.keys(environment.htmlPaths).length === 0)
            addClientEntry(child as unknown as WebpackLikeCompiler, options.server.base)
          compareBuilds(child, environment, compilers.length > 1, () => session?.live)
        })
      })
    },
  }
}

/**
 * After each build of one environment: the changed `.css` assets as one `reloadCSS`, or the first error (of the build,
 * or of a saved stylesheet's syntax). With `dev.hmr` on, Rsbuild's HMR swaps the stylesheets of chunks and they are
 * left out.
 */
function compareBuilds(compiler: Rspack.Compiler, environment: EnvironmentContext, several: boolean, current: () => LiveHandler | undefined): void {
  const hmr = Boolean(environment.config.dev.hmr)
  const source = several ? `compilation:${environment.name}` : 'compilation'

  let publicPath = '/'
  const cssDiff = createCssDiff(fileName => `${publicPath}${fileName}`)
  const sources = createSourceCheck(compiler.context)
  let modified: string[] = []
  compiler.hooks.watchRun.tap(NAME, () => {
    modified = [...compiler.modifiedFiles ?? []]
  })
  // Sources are read before they are written: after emitting, only their sizes are kept.
  let emitted: CssOutput[] = []
  compiler.hooks.emit.tap(NAME, (compilation) => {
    emitted = cssOutputs(compilation as unknown as Compilation, hmr)
  })
  compiler.hooks.done.tapPromise(NAME, async (stats) => {
    const outputs = emitted
    emitted = []
    const live = current()
    if (stats.hasErrors()) {
      // Nothing is diffed from a failed build: the next good one is compared with the last good one.
      live?.setError(source, toErrorPayload(stats.compilation.errors, compiler.context, 'rsbuild'))
      return
    }
    const syntaxError = await sources.check(modified)
    if (syntaxError) {
      // Built, but from a sheet the parser recovered from: the page keeps the last good one.
      live?.setError(source, syntaxError)
      return
    }
    publicPath = publicPathOf(stats.compilation as unknown as Compilation)
    const { files, renamed } = cssDiff.update(outputs)
    live?.setError(source, undefined)
    live?.reloadCSS(files, renamed)
  })
}

/** Stylesheets and images in `server.publicDir` (served under `server.base`) and the `watch` option. */
function watchPublicStylesheets(api: RsbuildPluginAPI, options: ResolvedOptions, logger: PluginLogger, live: LiveHandler): Watcher | undefined {
  const config = api.getNormalizedConfig()
  const directories = new Set(Object.values(config.environments).flatMap(environment => environment.server.publicDir.map(item => item.name)))
  const mounts = [...directories].map(directory => directoryMount(directory, config.server.base))
  return watchServedFiles(mounts, api.context.rootPath, options, logger, live)
}

/**
 * The same rule as webpack's `hot`: with `dev.hmr` on, Rsbuild's HMR swaps the stylesheets it bundles and live-assets
 * leaves them alone; with it off, live-assets swaps them. `dev.liveReload` without HMR reloads the page after every
 * build, which would undo any swap.
 */
function explainReloadOptions(environments: EnvironmentContext[], logger: PluginLogger): void {
  const web = environments.filter(environment => environment.config.output.target === 'web')
  if (web.some(environment => environment.config.dev.hmr))
    logger.debug('dev.hmr is on: Rsbuild\'s HMR swaps the stylesheets it bundles; live-assets swaps public and watched ones and shows build errors.')
  else if (web.some(environment => environment.config.dev.liveReload))
    logger.warn('dev.liveReload reloads the page after every build, CSS-only ones included, so bundled stylesheets cannot be swapped in place: set dev.liveReload: false to let live-assets swap them, or dev.hmr: true to let Rsbuild\'s HMR do it.')
}
