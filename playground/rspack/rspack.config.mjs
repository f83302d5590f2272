// rspack.config.mjs
import { fileURLToPath } from 'node:url'
import { rspack } from '@rspack/core'
import liveAssets from 'unplugin-live-assets/rspack'

/** @type {import('@rspack/core').Configuration} */
export default {
  mode: 'development',
  context: fileURLToPath(new URL('.', import.meta.url)),
  // Sheet A comes with the app, sheet B (with its @import partial) as a CSS-only entry: two <link> tags.
  entry: {
    app: ['./src/main.js', './src/styles/a.css'],
    theme: './src/styles/b.css',
  },
  output: { path: fileURLToPath(new URL('dist', import.meta.url)), clean: true },
  module: {
    rules: [{ test: /\.css$/, use: [rspack.CssExtractRspackPlugin.loader, 'css-loader'], type: 'javascript/auto' }],
  },
  plugins: [
    new rspack.HtmlRspackPlugin({ template: './src/index.html' }),
    new rspack.CssExtractRspackPlugin({ filename: '[name].css' }),
    liveAssets(),
  ],
  devServer: {
    static: { directory: fileURLToPath(new URL('static', import.meta.url)) },
    // Stylesheets are swapped by live-assets: with `hot` on, HMR would swap the bundled ones itself, and
    // `liveReload` would reload the page after every build. Reload by hand after editing JavaScript.
    hot: false,
    liveReload: false,
    // live-assets shows build errors in its own overlay.
    client: { overlay: false },
  },
}
