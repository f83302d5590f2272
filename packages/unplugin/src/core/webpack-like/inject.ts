import type { Compilation } from 'webpack'
import type { WebpackLikeCompiler } from './types'
import { fileURLToPath } from 'node:url'

const NAME = 'live-assets'

interface HtmlTag {
  tagName: string
  voidTag: boolean
  attributes: Record<string, string | boolean>
  meta?: Record<string, unknown>
}

interface HtmlPluginClass {
  getCompilationHooks: (compilation: Compilation) => {
    alterAssetTagGroups: {
      tapPromise: (name: string, fn: (data: { headTags: HtmlTag[] }) => Promise<{ headTags: HtmlTag[] }>) => void
    }
  }
}

/**
 * html-webpack-plugin (webpack or Rspack) and Rspack's built-in HtmlRspackPlugin both expose
 * `getCompilationHooks(compilation).alterAssetTagGroups`; each class present in the config gets one tap.
 */
export function htmlPluginClasses(compiler: WebpackLikeCompiler): HtmlPluginClass[] {
  const rspack = (compiler as { rspack?: { HtmlRspackPlugin?: unknown } }).rspack
  const classes = new Set<HtmlPluginClass>()
  for (const plugin of compiler.options.plugins) {
    const constructor = (plugin as object | null)?.constructor as (HtmlPluginClass & { name?: string }) | undefined
    if (typeof constructor?.getCompilationHooks !== 'function')
      continue
    if (constructor.name === 'HtmlWebpackPlugin' || (rspack?.HtmlRspackPlugin && plugin instanceof (rspack.HtmlRspackPlugin as new () => object)))
      classes.add(constructor)
  }
  return [...classes]
}

/**
 * Adds `<script src="<base>/client.js">` before the other tags an HTML plugin puts in the `<head>` of each page.
 * @param compilation the compilation whose pages get the tag
 * @param classes the HTML plugin classes of the config
 * @param src the client script's URL
 * @param nonce the page's CSP nonce, if it has one
 */
export function injectClientTag(compilation: Compilation, classes: HtmlPluginClass[], src: string, nonce?: string): void {
  for (const HtmlPlugin of classes) {
    HtmlPlugin.getCompilationHooks(compilation).alterAssetTagGroups.tapPromise(NAME, async (data) => {
      if (!data.headTags.some(tag => tag.tagName === 'script' && tag.attributes.src === src))
        data.headTags.unshift({ tagName: 'script', voidTag: false, attributes: nonce ? { src, nonce } : { src }, meta: { plugin: NAME } })
      return data
    })
  }
}

/**
 * Without an HTML plugin, a tiny module is added to every entry: it inserts the client's `<script>` tag, resolved
 * against the bundle's public path so that it also reaches the dev server from a page served elsewhere.
 * @param compiler the compiler whose entries get the module
 * @param base path prefix of the live-assets endpoints
 * @param origin the standalone server of watch mode, e.g. `http://127.0.0.1:35729`; without it, the public path's
 */
export function addClientEntry(compiler: WebpackLikeCompiler, base: string, origin?: string): void {
  const entry = fileURLToPath(new URL('./inject/client-entry.mjs', import.meta.url))
  const query = `base=${encodeURIComponent(base)}${origin ? `&origin=${encodeURIComponent(origin)}` : ''}`
  new compiler.webpack.EntryPlugin(compiler.context, `${entry}?${query}`, { name: undefined }).apply(compiler)
}
