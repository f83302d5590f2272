import type { DevServerSubject, RunningServer, Variant } from './suite'

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
