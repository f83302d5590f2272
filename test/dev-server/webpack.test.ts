import type { Configuration } from 'webpack'
import type { RunningServer } from './suite'
import { writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { openPage } from '../utils/live-page'
import { copyPlayground, removeCopy } from '../utils/playground'
import { poll } from '../utils/poll'
import { edit, restyledAt, sampleStyles, stats } from './harness'
import { describeDevServer } from './suite'
import { loadWebpackConfig, webpackLikeRunner, webpackServeRunner } from './webpack-like'

const FILES = { a: 'src/styles/a.css', b: 'src/styles/b.css', partial: 'src/styles/partial.css', public: 'static/public.css' }
const REQUESTS = { a: /\/app\.[\da-f]{8}\.css/, b: /\/theme\.[\da-f]{8}\.css/ }

/** A config with webpack-dev-server's options, as far as these tests read them. */
type DevServerConfig = Configuration & { devServer?: object }

// webpack-dev-server 6 (the current major) as users start it: `webpack serve` of webpack-cli 7, which applies the dev
// server as a plugin built from the raw config and sets `watch: true`.
describeDevServer({
  name: 'webpack',
  files: FILES,
  requests: REQUESTS,
  bundledSheets: 'live-assets',
  reloadsOnRestart: false,
  ...webpackServeRunner('webpack.config.ts'),
}, (context) => {
  it('runs inside the dev server: no standalone live server, no origin warning', () => {
    const output = context().server.output!()
    expect(output).toMatch(/compiled successfully/)
    expect(output).not.toMatch(/live server at|listening at|allowedOrigins/)
  })
})

/** A playground copy and its dev server for one test, stopped and removed after it. */
function oneCopyPerTest(): { dir?: string, running?: RunningServer } {
  const t: { dir?: string, running?: RunningServer } = {}
  afterEach(async () => {
    await t.running?.stop()
    await removeCopy(t.dir)
    t.running = t.dir = undefined
  })
  return t
}

describe('webpack serve with webpack-dev-server 6 defaults (hot and liveReload on)', () => {
  const t = oneCopyPerTest()

  it('a static sheet is swapped in place, never a page reload; HMR alone updates the bundled one', async () => {
    t.dir = await copyPlayground('webpack')
    await writeFile(path.join(t.dir, 'webpack.defaults.ts'), `import config from './webpack.config.ts'

export default { ...config, devServer: { static: config.devServer.static } }
`)
    t.running = await webpackServeRunner('webpack.defaults.ts').start(t.dir, 0)
    const live = await openPage(t.running.url)
    try {
      const requests: string[] = []
      live.page.on('request', r => void requests.push(r.url()))
      await sampleStyles(live.page)
      await poll(async () => (await stats(t.running!.url)).subscribers === 1, { what: 'one subscriber' })

      await edit(t.dir, FILES.public, 'rgb(150, 30, 150)', 'rgb(150, 30, 151)')
      await restyledAt(live.page, '#public', 'rgb(150, 30, 151)')
      expect(requests.filter(url => url.includes('/public.css'))).toEqual([expect.stringMatching(/[?&]la=/)])
      expect(await live.sentinel()).toBe(live.firstSentinel)

      const from = requests.length
      const published = (await stats(t.running.url)).eventsPublished
      await edit(t.dir, FILES.a, 'rgb(200, 30, 30)', 'rgb(200, 30, 40)')
      await poll(() => requests.slice(from).some(url => url.includes('.hot-update.json')), { what: 'an HMR update' })
      expect(requests.slice(from).filter(url => /[?&]la=/.test(url))).toEqual([])
      expect((await stats(t.running.url)).eventsPublished).toBe(published)
    }
    finally {
      await live.close()
    }
  }, 90_000)
})

// webpack-dev-server 5 through the Node API, given the compiler's devServer options as webpack-cli 6 gives them.
describeDevServer({
  name: 'webpack-dev-server 5',
  playground: 'webpack',
  files: FILES,
  requests: REQUESTS,
  bundledSheets: 'live-assets',
  reloadsOnRestart: false,
  ...webpackLikeRunner(async (dir) => {
    const config = loadWebpackConfig<Configuration>(dir)
    return {
      config,
      compile: createRequire(path.join(dir, 'package.json'))('webpack'),
      DevServer: createRequire(import.meta.url)('webpack-dev-server-5'),
      plugins: variant => config.plugins!.filter(p => variant.htmlPlugin !== false || p?.constructor.name !== 'HtmlWebpackPlugin'),
    }
  }),
})

describe('webpack-dev-server 6 through its Node API', () => {
  const t = oneCopyPerTest()

  /** `new WebpackDevServer(options(config, compiler), compiler)`, with the infrastructure log captured. */
  async function start(options: (config: DevServerConfig, compiler: { options: DevServerConfig }) => object): Promise<{ url: string, log: () => string }> {
    t.dir = await copyPlayground('webpack')
    const require = createRequire(path.join(t.dir, 'package.json'))
    const webpack = require('webpack')
    const DevServer = require('webpack-dev-server')
    const config = loadWebpackConfig<Configuration>(t.dir)
    let log = ''
    const stream = new PassThrough().setEncoding('utf8').on('data', (chunk: string) => void (log += chunk))
    const compiler = webpack({ ...config, stats: 'none', infrastructureLogging: { level: 'warn', colors: false, stream } })
    const server = new DevServer({ ...options(config, compiler), host: '127.0.0.1', port: 0, setupExitSignals: false }, compiler)
    await server.start()
    const { port } = server.server.address() as { port: number }
    t.running = {
      url: `http://127.0.0.1:${port}/`,
      port,
      async stop() {
        await server.stop()
        await new Promise(resolve => compiler.close(resolve))
      },
    }
    return { url: t.running.url, log: () => log }
  }

  it('given the compiler\'s devServer options, swaps a bundled and a static sheet in place', async () => {
    const { url } = await start((_, compiler) => compiler.options.devServer!)
    const live = await openPage(url)
    try {
      await sampleStyles(live.page)
      await poll(async () => (await stats(url)).subscribers === 1, { what: 'one subscriber' })
      await edit(t.dir!, FILES.a, 'rgb(200, 30, 30)', 'rgb(200, 30, 31)')
      await restyledAt(live.page, '#a', 'rgb(200, 30, 31)')
      await edit(t.dir!, FILES.public, 'rgb(150, 30, 150)', 'rgb(150, 30, 151)')
      await restyledAt(live.page, '#public', 'rgb(150, 30, 151)')
      expect(await live.sentinel()).toBe(live.firstSentinel)
    }
    finally {
      await live.close()
    }
  }, 60_000)

  it('given options of its own, says how to give it the compiler\'s and starts no standalone server', async () => {
    // The form of webpack's Node API documentation: the raw config's devServer, not the compiler's.
    const { url, log } = await start(config => ({ ...config.devServer }))
    await poll(() => log().includes('setupMiddlewares'), { what: 'the warning' })
    expect(log()).toMatch(/\[live-assets\] a dev server serves this build but was started with options of its own.*new WebpackDevServer\(\{ \.\.\.compiler\.options\.devServer/)
    expect(log()).not.toMatch(/live server at|listening at/)
    expect((await fetch(new URL('__live_assets/stats', url))).status).toBe(404)
  }, 60_000)
})
