import type { FallbackMode, LiveAssetsOptions } from '@live-assets/core'
import { DEFAULT_PORT, resolveOptions as resolveCoreOptions, silentLogger } from '@live-assets/core'

export interface WatchOptions {
  /** Files, directories or globs, relative to the project root (Vite's `root`, webpack's `context`) or absolute. */
  paths: string | string[]
  /**
   * Directory whose files the page requests under `urlBase`.
   * @default the static part of the first path, e.g. `backend/assets` for `backend/assets/**\/*.css`
   */
  root?: string
  /**
   * URL path under which the page requests the files of `root`, e.g. `/assets`.
   * @default '/'
   */
  urlBase?: string
}

export interface Options {
  /**
   * Extra stylesheets to watch beside the ones the bundler builds: the output of a Sass or Tailwind CLI, a
   * backend's asset directory. A glob or list of globs, or `{ paths, root, urlBase }` to say which URL they
   * are served under. Vite's `publicDir` and the dev server's `static` directories are always watched.
   * @default []
   */
  watch?: string | string[] | WatchOptions
  /**
   * Path prefix of the live-assets endpoints on the dev server (`<base>/events`, `<base>/client.js`).
   * @default '/__live_assets'
   */
  base?: string
  /**
   * What the browser does when a change matches no stylesheet on the page: reload every stylesheet,
   * reload the page, or nothing.
   * @default 'stylesheets'
   */
  fallback?: FallbackMode
  /**
   * Time between two `ping` events, in ms. The client reconnects after 2.5 heartbeats of silence.
   * @default 10000
   */
  heartbeatMs?: number
  /**
   * `Host` header values accepted besides loopback names, for the standalone server of watch mode. Under a dev
   * server the dev server's own check decides (`server.allowedHosts` in Vite, `devServer.allowedHosts` in webpack
   * and Rspack): the live-assets endpoints are mounted behind it. `true` accepts any host.
   * @default []
   */
  allowedHosts?: string[] | true
  /**
   * Page origins allowed to open the stream cross-origin besides the loopback ones: a backend page on
   * `http://myapp.test`, a LAN address. Pages on `localhost`, `*.localhost`, `127.0.0.1` and `[::1]` need no entry
   * (see `loopbackOrigins`).
   * @default []
   */
  allowedOrigins?: string[]
  /**
   * Accept pages on any loopback origin (`http(s)://localhost`, `*.localhost`, `127.0.0.1`, `[::1]`, any port), as
   * Vite's default `server.cors` does: a backend page on `http://localhost:3000`, or `dist/` served on another port,
   * works with no option. `false` accepts only the page's own origin and `allowedOrigins`.
   * @default true
   */
  loopbackOrigins?: boolean
  /**
   * Show build errors in an overlay on the page.
   * @default true
   */
  overlay?: boolean
  /**
   * Log every event in the terminal and every match decision in the browser console.
   * @default false
   */
  debug?: boolean
  /**
   * CSP nonce for the `<script>` tag live-assets adds through html-webpack-plugin or HtmlRspackPlugin, for pages
   * served with a nonce-based `Content-Security-Policy`. With Vite, set `html.cspNonce` instead: Vite puts it on
   * every tag. Tags added from inside a bundle copy the bundle script's nonce by themselves.
   * @default undefined
   */
  nonce?: string
  /**
   * Watch mode (`rollup -w`, Rolldown, esbuild `context().watch()`, `webpack --watch`): port of the standalone
   * live-assets server, shared by every config of the process that names the same port. `0` picks a free one; the
   * chosen URL is logged.
   * @default 35729
   */
  port?: number
  /**
   * Watch mode: interface the standalone server listens on. Another interface than loopback needs its `Host` in
   * `allowedHosts`.
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * Watch mode: with `false`, a port taken by another process means the next free one, with a warning; with `true`
   * it is an error.
   * @default false
   */
  strictPort?: boolean
  /**
   * Watch mode: URL path under which the page requests the files of the output directory (Rollup's `output.dir`
   * or the directory of `output.file`, esbuild's `outdir`, webpack's `output.path`), e.g. `/assets`. webpack uses
   * its own `output.publicPath` when it is set.
   * @default '/'
   */
  publicPath?: string
  /**
   * Watch mode: globs, relative to the output directory, of outputs whose change reloads the whole page, e.g.
   * `['**\/*.html']`. Other non-CSS outputs (the JavaScript a CSS edit rewrites too) never reload it.
   * @default []
   */
  reload?: string[]
}

export interface ResolvedWatch {
  /** As given: globs or paths, relative to the project root or absolute. */
  paths: string[]
  /** As given; `undefined` means the static part of the first path. */
  root: string | undefined
  /** Starts with `/`, no trailing slash except for `/` itself. */
  urlBase: string
}

export interface ResolvedOptions {
  watch: ResolvedWatch | undefined
  nonce: string | undefined
  /** For the standalone server; a dev server checks hosts itself. */
  allowedHosts: string[] | true
  debug: boolean
  /** What `createHandler()` gets, minus the logger and the dev server's hosts. */
  server: Required<Pick<LiveAssetsOptions, 'base' | 'heartbeatMs' | 'allowedOrigins' | 'loopbackOrigins' | 'client'>>
  /** The standalone server of watch mode. */
  standalone: ResolvedStandalone
}

export interface ResolvedStandalone {
  port: number
  host: string
  strictPort: boolean
  /** Starts and ends with `/`. */
  publicPath: string
  reload: string[]
}

/**
 * Turns user options into resolved ones, once per plugin instance. Never mutates its argument; a bad value
 * throws at config time with a message that names the option, rather than later inside the dev server.
 */
export function resolveOptions(options: Options = {}): ResolvedOptions {
  // The core validates and normalises its own options (base, heartbeat, origins, fallback): reuse that check.
  const core = resolveCoreOptions({
    base: options.base,
    heartbeatMs: options.heartbeatMs,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
    loopbackOrigins: options.loopbackOrigins,
    client: { fallback: options.fallback, overlay: options.overlay, debug: options.debug },
    token: 'unused',
    logger: silentLogger,
  })
  if (options.nonce !== undefined && (typeof options.nonce !== 'string' || !/^[\w+/=-]+$/.test(options.nonce)))
    throw new TypeError(`[live-assets] nonce must be the base64 value of the page's CSP nonce, e.g. 'rAnd0m'; got ${JSON.stringify(options.nonce)}.`)
  return {
    watch: resolveWatch(options.watch),
    nonce: options.nonce,
    allowedHosts: core.allowedHosts,
    debug: core.client.debug,
    server: {
      base: core.base,
      heartbeatMs: core.heartbeatMs,
      allowedOrigins: core.allowedOrigins,
      loopbackOrigins: core.loopbackOrigins,
      client: { ...core.client },
    },
    standalone: resolveStandalone(options),
  }
}

function resolveStandalone(options: Options): ResolvedStandalone {
  const port = options.port ?? DEFAULT_PORT
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError(`[live-assets] port must be an integer from 0 to 65535 (0 picks a free one); got ${JSON.stringify(options.port)}.`)
  const publicPath = options.publicPath ?? '/'
  if (typeof publicPath !== 'string' || /[?#\s]/.test(publicPath))
    throw new TypeError(`[live-assets] publicPath must be a URL path such as '/assets'; got ${JSON.stringify(options.publicPath)}.`)
  const reload = options.reload ?? []
  if (!Array.isArray(reload) || reload.some(glob => typeof glob !== 'string' || glob === ''))
    throw new TypeError(`[live-assets] reload must be a list of globs such as ['**/*.html']; got ${JSON.stringify(options.reload)}.`)
  return {
    port,
    host: options.host ?? '127.0.0.1',
    strictPort: options.strictPort ?? false,
    publicPath: `/${publicPath}/`.replace(/\/{2,}/g, '/'),
    reload: [...reload],
  }
}

function resolveWatch(watch: Options['watch']): ResolvedWatch | undefined {
  if (watch === undefined)
    return undefined
  const object = typeof watch === 'object' && !Array.isArray(watch) ? watch : { paths: watch }
  const paths = [object.paths].flat()
  if (paths.length === 0 || paths.some(p => typeof p !== 'string' || p === ''))
    throw new TypeError(`[live-assets] watch must be a glob, a list of globs or { paths, root, urlBase }; got ${JSON.stringify(watch)}.`)
  if (paths.every(p => p.startsWith('!')))
    throw new TypeError(`[live-assets] watch has only exclusions (${paths.join(', ')}): add the files to watch too.`)
  const urlBase = object.urlBase ?? '/'
  if (typeof urlBase !== 'string' || /[?#\s]/.test(urlBase))
    throw new TypeError(`[live-assets] watch.urlBase must be a URL path such as '/assets'; got ${JSON.stringify(urlBase)}.`)
  return {
    paths,
    root: object.root,
    urlBase: `/${urlBase}`.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1'),
  }
}
