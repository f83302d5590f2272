import type { Configuration } from 'webpack'
import { createRequire } from 'node:module'
import path from 'node:path'
import { describeDevServer } from './suite'
import { webpackLikeRunner } from './webpack-like'

describeDevServer({
  name: 'webpack',
  files: { a: 'src/styles/a.css', b: 'src/styles/b.css', partial: 'src/styles/partial.css', public: 'static/public.css' },
  requests: { a: /\/app\.[\da-f]{8}\.css/, b: /\/theme\.[\da-f]{8}\.css/ },
  bundledSheets: 'live-assets',
  reloadsOnRestart: false,
  // A fresh evaluation of the copy's CommonJS config through `require()`, as webpack-cli loads it.
  ...webpackLikeRunner(async (dir) => {
    const require = createRequire(path.join(dir, 'webpack.config.cjs'))
    const file = require.resolve('./webpack.config.cjs')
    delete require.cache[file]
    const config: Configuration = require(file)
    return {
      config,
      compile: require('webpack'),
      DevServer: require('webpack-dev-server'),
      plugins: variant => config.plugins!.filter(p => variant.htmlPlugin !== false || p?.constructor.name !== 'HtmlWebpackPlugin'),
    }
  }),
})
