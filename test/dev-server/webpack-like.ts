import type { DevServerSubject, RunningServer, Variant } from './suite'
import { writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { spawnNode } from '../utils/process'

/**
 * A fresh evaluation of a copy's `webpack.config.ts`, as webpack-cli 7 loads it on Node 20: tsx's require hook
 * (`tsx/cjs`, registered once for the process), then `require()` of the config, whose own cache entry is dropped first.
 * Its dependencies stay cached, as in webpack-cli: a second copy of mini-css-extract-plugin would register its
 * serializers with webpack twice.
 */
export function loadWebpackConfig<Config = unknown>(dir: string, file = 'webpack.config.ts'): Config {
  const require = createRequire(path.join(dir, file))
  require('tsx/cjs')
  const resolved = require.resolve(`./${file}`)
  delete require.cache[resolved]
  const loaded = require(resolved)
  return loaded.default ?? loaded
}

/** The parts of webpack and Rspack (compiler, dev server) the tests drive; both have the same shape. */
export interface WebpackLike<Config extends { plugins?: unknown[] }> {
  config: Config
  // The bundlers' own signatures differ in details (multi-compilers, option types) that these tests do not use.
  compile: (config: Config) => any
  DevServer: new (options: any, compiler: any) => DevServer
  /** The config's plugins for a variant of the playground. */
  plugins: (variant: Variant) => Config['plugins']
}

interface Compiler {
  options: { devServer?: unknown }
  run: (callback: (error: Error | null, stats?: { hasErrors: () => boolean, toString: (preset: string) => string }) => void) => void
  close: (callback: () => void) => void
}

interface DevServer {
  start: () => Promise<void>
  stop: () => Promise<void>
  server?: unknown
}

/** `start` and `build` for a webpack-like playground: the dev server started as the CLI starts it, on 127.0.0.1. */
export function webpackLikeRunner<Config extends { plugins?: unknown[] }>(load: (dir: string) => Promise<WebpackLike<Config>>): Pick<DevServerSubject, 'start' | 'build'> {
  return {
    async start(dir, port, variant = {}): Promise<RunningServer> {
      const { config, compile, DevServer, plugins } = await load(dir)
      const compiler: Compiler = compile({ ...config, plugins: plugins(variant), stats: 'none', infrastructureLogging: { level: 'warn' } })
      // The plugin wired `setupMiddlewares` into the compiler's devServer options, which the CLI passes on as well.
      const options = { ...compiler.options.devServer as object, ...('hot' in variant ? { hot: variant.hot } : {}) }
      const server = new DevServer({ ...options, host: '127.0.0.1', port, setupExitSignals: false }, compiler)
      await server.start()
      const { port: actual } = (server.server as { address: () => { port: number } }).address()
      return {
        url: `http://127.0.0.1:${actual}/`,
        port: actual,
        async stop() {
          await server.stop()
          await new Promise<void>(resolve => compiler.close(resolve))
        },
      }
    },
    async build(dir) {
      const { config, compile } = await load(dir)
      const compiler: Compiler = compile({ ...config, mode: 'production', stats: 'none', infrastructureLogging: { level: 'warn' } })
      const stats = await new Promise<NonNullable<Parameters<Parameters<Compiler['run']>[0]>[1]>>((resolve, reject) =>
        compiler.run((error, result) => error ? reject(error) : resolve(result!)))
      await new Promise<void>(resolve => compiler.close(resolve))
      if (stats.hasErrors())
        throw new Error(stats.toString('errors-only'))
      return `${dir}/dist`
    },
  }
}

const LOOPBACK = /Loopback: http:\/\/127\.0\.0\.1:(\d+)\//

/**
 * `start` and `build` through webpack-cli itself, `webpack serve` as a user runs it: with webpack-dev-server 6 the CLI
 * builds the dev server from the raw `devServer` config and applies it as a plugin, which no test of the Node API sees.
 * @param config the config file of the playground, relative to its folder
 */
export function webpackServeRunner(config: string): Pick<DevServerSubject, 'start' | 'build'> {
  return {
    async start(dir, port, variant = {}): Promise<RunningServer> {
      const args = ['serve', '--config', variant.htmlPlugin === false ? await withoutHtmlPlugin(dir, config) : config, '--host', '127.0.0.1', '--port', String(port)]
      if (variant.hot !== undefined)
        args.push(variant.hot ? '--hot' : '--no-hot')
      const cli = spawnNode(dir, 'node_modules/webpack-cli/bin/cli.js', args)
      // The dev server listens once the first build is done, then prints its address.
      await cli.waitFor(LOOPBACK, 1, 60_000)
      const actual = Number(LOOPBACK.exec(cli.output())![1])
      return {
        url: `http://127.0.0.1:${actual}/`,
        port: actual,
        output: cli.output,
        async stop() {
          const exit = await cli.stop('SIGINT')
          if (exit.code !== 0 && exit.signal !== 'SIGINT')
            throw new Error(`webpack serve exited with ${JSON.stringify(exit)}:\n${cli.output()}`)
        },
      }
    },
    async build(dir) {
      const cli = spawnNode(dir, 'node_modules/webpack-cli/bin/cli.js', ['--config', config, '--mode', 'production'])
      const exit = await cli.exited
      if (exit.code !== 0)
        throw new Error(`webpack exited with ${JSON.stringify(exit)}:\n${cli.output()}`)
      return `${dir}/dist`
    },
  }
}

/** A config file beside `config` (TypeScript, as the playground's) that imports it and drops html-webpack-plugin. */
async function withoutHtmlPlugin(dir: string, config: string): Promise<string> {
  const file = `${path.basename(config, path.extname(config))}.no-html.ts`
  await writeFile(path.join(dir, file), `import config from './${config}'

export default { ...config, plugins: config.plugins.filter(p => p.constructor.name !== 'HtmlWebpackPlugin') }
`)
  return file
}
