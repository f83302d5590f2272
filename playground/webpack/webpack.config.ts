// webpack.config.cjs: CommonJS on purpose, to show that `require('unplugin-live-assets/webpack')` works.
const path = require('node:path')
const HtmlWebpackPlugin = require('html-webpack-plugin')
const MiniCssExtractPlugin = require('mini-css-extract-plugin')
const liveAssets = require('unplugin-live-assets/webpack')

/** @type {import('webpack').Configuration & { devServer?: import('webpack-dev-server').Configuration }} */
module.exports = {
  mode: 'development',
  context: __dirname,
  // Sheet A comes with the app, sheet B (with its @import partial) as a CSS-only entry: two <link> tags.
  entry: {
    app: ['./src/main.js', './src/styles/a.css'],
    theme: './src/styles/b.css',
  },
  output: { path: path.join(__dirname, 'dist'), clean: true },
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
    static: { directory: path.join(__dirname, 'static') },
    // Stylesheets are swapped by live-assets: with `hot` on, HMR would swap the bundled ones itself, and
    // `liveReload` would reload the page after every build. Reload by hand after editing JavaScript.
    hot: false,
    liveReload: false,
    // live-assets shows build errors in its own overlay.
    client: { overlay: false },
  },
}
