import type { UnpluginFactory } from 'unplugin'
import type { Options } from './shared/options'
import type { WebpackLikeCompiler } from './webpack-like/types'
import { createUnplugin } from 'unplugin'
import { esbuildWatchMode } from './esbuild'
import { rollupWatchMode } from './rollup'
import { rsbuildDevServer } from './rsbuild'
import { resolveOptions } from './shared/options'
import { viteDevServer } from './vite'
import { webpackLikeDevServer } from './webpack-like'
import { webpackLikeWatch } from './webpack-like/watch'

/**
 * The one factory behind every entry. Options are resolved once per plugin instance; each bundler then gets its
 * wiring: the dev-server path (Vite, webpack-dev-server, @rspack/dev-server, Rsbuild) lives beside a watch-mode path
 * (Rollup, Rolldown, esbuild, `webpack --watch`: a standalone live-assets server), which shares `options.ts`,
 * `live-handler.ts` and `css-diff.ts`.
 */
export const unpluginFactory: UnpluginFactory<Options | undefined> = (userOptions) => {
  const options = resolveOptions(userOptions)
  return {
    name: 'live-assets',
    vite: viteDevServer(options),
    rollup: rollupWatchMode(options, 'rollup'),
    rolldown: rollupWatchMode(options, 'rolldown') as never,
    esbuild: { setup: esbuildWatchMode(options) },
    webpack(compiler) {
      webpackLikeDevServer(compiler, options, 'webpack')
      webpackLikeWatch(compiler, options, 'webpack')
    },
    // Rspack implements the parts of webpack's compiler API used there.
    rspack(compiler) {
      webpackLikeDevServer(compiler as unknown as WebpackLikeCompiler, options, 'rspack')
      webpackLikeWatch(compiler as unknown as WebpackLikeCompiler, options, 'rspack')
    },
    // Rsbuild's own plugin API: unplugin runs the `rspack` key above only for Rspack configs, never inside Rsbuild.
    rsbuild: rsbuildDevServer(options),
  }
}

export const unplugin = /* #__PURE__ */ createUnplugin(unpluginFactory)
