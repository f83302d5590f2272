import type { FallbackMode, LiveAssetsOptions } from '@live-assets/core'
import { resolveOptions as resolveCoreOptions, silentLogger } from '@live-assets/core'

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
   * Page origins allowed to open the stream cross-origin: a backend page (Rails, Django, express) that loads
   * assets from the dev server, e.g. `http://localhost:3000`.
   * @default []
   */
  allowedOrigins?: string[]
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
  /** For the standalone server; a dev server checks hosts itself. */
  allowedHosts: string[] | true
  debug: boolean
  /** What `createHandler()` gets, minus the logger and the dev server's hosts. */
  server: Required<Pick<LiveAssetsOptions, 'base' | 'heartbeatMs' | 'allowedOrigins' | 'client'>>
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
    client: { fallback: options.fallback, overlay: options.overlay, debug: options.debug },
    token: 'unused',
    logger: silentLogger,
  })
  return {
    watch: resolveWatch(options.watch),
    allowedHosts: core.allowedHosts,
    debug: core.client.debug,
    server: {
      base: core.base,
      heartbeatMs: core.heartbeatMs,
      allowedOrigins: core.allowedOrigins,
      client: { ...core.client },
    },
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
