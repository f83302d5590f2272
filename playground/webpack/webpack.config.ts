// webpack.config.ts: webpack-cli loads it through tsx (a devDependency here) on Node 20, by itself on Node >= 22.18.
// The CommonJS form, `const liveAssets = require('unplugin-live-assets/webpack')`, works too (test/packed).
import type { Configuration } from 'webpack'
import type { Configuration as DevServerConfiguration } from 'webpack-dev-server'
import { fileURLToPath } from 'node:url'
import HtmlWebpackPlugin from 'html-webpack-plugin'
import MiniCssExtractPlugin from 'mini-css-extract-plugin'
import liveAssets from 'unplugin-live-assets/webpack'

const config: Configuration & { devServer?: DevServerConfiguration } = {
  mode: 'development',
  context: fileURLToPath(new URL('.', import.meta.url)),
  // Sheet A comes with the app, sheet B (with its @import partial) as a CSS-only entry: two <link> tags.
  entry: {
    app: ['./src/main.js', './src/styles/a.css'],
    theme: './src/styles/b.css',
  },
  output: { path: fileURLToPath(new URL('dist', import.meta.url)), clean: true },
  module: {
    rules: [{ test: /\.css$/, use: [MiniCssExtractPlugin.loader, 'css-loader'] }],
  },
  plugins: [
    new HtmlWebpackPlugin({ template: './src/index.html' }),
    // Content-hashed names: live-assets tells the page the new name of each changed sheet.
    new MiniCssExtractPlugin({ filename: '[name].[contenthash:8].css' }),
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

export default config
