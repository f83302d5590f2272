import type { Bus, ClientOptions, LiveAssetsOptions, LiveServerWatchOptions, ResolvedEndpointOptions } from '@live-assets/core'
import { DEFAULT_PORT, resolveEndpointOptions } from '@live-assets/core'

export interface WatchOptions extends Pick<LiveServerWatchOptions, 'root' | 'urlBase'> {
  /** Files, directories or globs, relative to the project root (Vite's `root`, webpack's `context`) or absolute. */
  paths: string | string[]
}

/**
 * The plugin's options: those of the core live-assets server (documented once, in `@live-assets/core`) that a page
 * or a build needs, flattened, plus the ones only a bundler has.
 */
export interface Options extends Pick<LiveAssetsOptions, 'base' | 'heartbeatMs' | 'allowedOrigins' | 'loopbackOrigins' | 'bus'>, Pick<ClientOptions, 'fallback' | 'overlay'> {
  /**
   * Extra stylesheets to watch beside the ones the bundler builds: the output of a Sass or Tailwind CLI, a
   * backend's asset directory. A glob or list of globs, or `{ paths, root, urlBase }` to say which URL they
   * are served under. Vite's `publicDir` and the dev server's `static` directories are always watched.
   * @default []
   */
  watch?: string | string[] | WatchOptions
  /**
   * `Host` header values accepted besides loopback names, for the standalone server of watch mode. Under a dev
   * server the dev server's own check decides (`server.allowedHosts` in Vite, `devServer.allowedHosts` in webpack
   * and Rspack): the live-assets endpoints are mounted behind it. `true` accepts any host.
   * @default []
   */
  allowedHosts?: LiveAssetsOptions['allowedHosts']
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
  readonly paths: string[]
  /** As given; `undefined` means the static part of the first path. */
  readonly root: string | undefined
  /** Starts with `/`, no trailing slash except for `/` itself. */
  readonly urlBase: string
}

export interface ResolvedOptions {
  readonly watch: ResolvedWatch | undefined
  readonly nonce: string | undefined
  /** For the standalone server; a dev server checks hosts itself. */
  readonly allowedHosts: ResolvedEndpointOptions['allowedHosts']
  readonly debug: boolean
  /**
   * What `createHandler()` gets, minus the logger and the dev server's hosts. An unreachable `bus` never stops the
   * dev server or the build: its pages are served from memory, with a warning.
   */
  readonly server: Pick<ResolvedEndpointOptions, 'base' | 'heartbeatMs' | 'allowedOrigins' | 'loopbackOrigins' | 'client'> & { readonly bus: Bus | undefined }
  /** The standalone server of watch mode. */
  readonly standalone: ResolvedStandalone
}

export interface ResolvedStandalone {
  readonly port: number
  readonly host: string
  readonly strictPort: boolean
  /** Starts and ends with `/`. */
  readonly publicPath: string
  readonly reload: string[]
}

/**
 * Turns user options into resolved ones, once per plugin instance. Never mutates its argument, and the result is
 * frozen; a bad value throws at config time with a message that names the option, rather than later inside the
 * dev server.
 */
export function resolveOptions(options: Options = {}): ResolvedOptions {
  // The core validates and normalises its own options (base, heartbeat, hosts, origins, fallback).
  const core = resolveEndpointOptions({
    base: options.base,
    heartbeatMs: options.heartbeatMs,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
    loopbackOrigins: options.loopbackOrigins,
    client: { fallback: options.fallback, overlay: options.overlay, debug: options.debug },
  })
  if (options.nonce !== undefined && (typeof options.nonce !== 'string' || !/^[\w+/=-]+$/.test(options.nonce)))
    throw new TypeError(`[live-assets] nonce must be the base64 value of the page's CSP nonce, e.g. 'rAnd0m'; got ${JSON.stringify(options.nonce)}.`)
  return Object.freeze({
    watch: resolveWatch(options.watch),
    nonce: options.nonce,
    allowedHosts: core.allowedHosts,
    debug: core.client.debug,
    server: Object.freeze({
      base: core.base,
      heartbeatMs: core.heartbeatMs,
      allowedOrigins: core.allowedOrigins,
      loopbackOrigins: core.loopbackOrigins,
      client: core.client,
      bus: options.bus,
    }),
    standalone: resolveStandalone(options),
  })
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
  return Object.freeze({
    port,
    host: options.host ?? '127.0.0.1',
    strictPort: options.strictPort ?? false,
    publicPath: `/${publicPath}/`.replace(/\/{2,}/g, '/'),
    reload: [...reload],
  })
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
  return Object.freeze({
    paths,
    root: object.root,
    urlBase: `/${urlBase}`.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1'),
  })
}
