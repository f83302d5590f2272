import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Compiler } from 'webpack'

/**
 * The compiler we program against. Rspack implements the parts of webpack's API used here (hooks, `getAssets`,
 * `EntryPlugin`, `NormalModuleReplacementPlugin`, the infrastructure logger), so both go through webpack's types.
 */
export type WebpackLikeCompiler = Compiler

type NextHandle = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void

/** An entry of the list `setupMiddlewares` receives, in webpack-dev-server 5 and 6 and @rspack/dev-server 1 and 2. */
export type DevServerMiddleware = NextHandle | { name?: string, path?: string, middleware: NextHandle }

export interface DevServerStaticItem {
  directory: string
  publicPath: string[]
}

/** The dev server instance passed to `setupMiddlewares`, after it normalised its options. */
export interface DevServerInstance {
  options: {
    /** `false` with `static: false`. */
    static: DevServerStaticItem[] | false
    hot?: boolean | 'only'
    liveReload?: boolean
    devMiddleware?: { publicPath?: string }
  }
  /** The HTTP server; created before `setupMiddlewares` runs. */
  server?: { once: (event: 'close', listener: () => void) => unknown }
}

/** `devServer` as written in a webpack or Rspack config, as far as we touch it. */
export interface DevServerConfig {
  setupMiddlewares?: (middlewares: DevServerMiddleware[], devServer: DevServerInstance) => DevServerMiddleware[]
  static?: boolean | string | StaticConfigItem | Array<string | StaticConfigItem>
  [key: string]: unknown
}

export interface StaticConfigItem {
  directory?: string
  watch?: boolean | { ignored?: unknown, [key: string]: unknown }
  [key: string]: unknown
}
