import type { Configuration } from '@rspack/core'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { loadFrom } from './harness'
import { describeDevServer } from './suite'
import { webpackLikeRunner } from './webpack-like'

describeDevServer({
  name: 'rspack',
  files: { a: 'src/styles/a.css', b: 'src/styles/b.css', partial: 'src/styles/partial.css', public: 'static/public.css' },
  requests: { a: /\/app\.css/, b: /\/theme\.css/ },
  bundledSheets: 'live-assets',
  reloadsOnRestart: false,
  // A fresh evaluation of the copy's ES module config.
  ...webpackLikeRunner(async (dir) => {
    const { default: config } = await import(`${pathToFileURL(path.join(dir, 'rspack.config.mjs')).href}?t=${Date.now()}`) as { default: Configuration }
    const { rspack } = await loadFrom<typeof import('@rspack/core')>(dir, '@rspack/core')
    const { RspackDevServer } = await loadFrom<typeof import('@rspack/dev-server')>(dir, '@rspack/dev-server')
    return {
      config,
      compile: rspack,
      DevServer: RspackDevServer,
      plugins: variant => config.plugins!.filter(p => variant.htmlPlugin !== false || !(p instanceof rspack.HtmlRspackPlugin)),
    }
  }),
})
