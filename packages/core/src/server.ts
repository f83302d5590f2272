import type { AddressInfo } from 'node:net'
import type { Handler } from './handler'
import type { LiveAssetsOptions } from './options'
import type { Watcher, WatcherOptions } from './watcher'
import { createServer } from 'node:http'
import path from 'node:path'
import process from 'node:process'
import { createHandler } from './handler'
import { watchMount } from './mounts'
import { resolveOptions } from './options'
import { createPublisher, watchMounts } from './publisher'

export interface LiveServerWatchOptions extends Partial<Omit<WatcherOptions, 'logger' | 'onChange'>> {
  /** Files, directories or globs whose changes are published: stylesheets and images (`public/**\/*.{css,png,svg}`). */
  paths: string | string[]
  /**
   * Directory that maps to `urlBase`.
   * @default the static part of the first path, e.g. `app/assets` for `app/assets/**\/*.css`
   */
  root?: string
  /**
   * URL path under which the page requests files of `root`, e.g. `/assets`.
   * @default '/'
   */
  urlBase?: string
  /**
   * Globs (relative to `cwd`) of files whose change reloads the whole page, e.g. `['views/**\/*.html']`.
   * They are watched even if `paths` does not cover them. Stylesheets, images and source maps never reload the page.
   * @default []
   */
  reload?: string[]
}

export interface LiveServerOptions extends LiveAssetsOptions {
  /**
   * Interface to listen on. `true` means every interface (`0.0.0.0`): an explicit opt-in, since the
   * stream then answers other machines (only for the hosts in `allowedHosts`).
   * @default '127.0.0.1'
   */
  host?: string | true
  /**
   * Port to listen on; `0` picks a free one.
   * @default 35729
   */
  port?: number
  /**
   * Fail when the port is taken. With `false`, the next free port is used and logged.
   * @default true
   */
  strictPort?: boolean
  /**
   * Watch files and publish their changes: stylesheets as `reloadCSS`, images (`IMAGE_EXTENSIONS`) as
   * `reloadAssets`, `reload` globs as `reload`; source maps and other files send nothing.
   */
  watch?: LiveServerWatchOptions
}

export interface LiveServer {
  /** e.g. `http://127.0.0.1:35729`. */
  readonly url: string
  readonly port: number
  readonly handler: Handler
  publish: Handler['publish']
  /** Ends every stream, stops the watcher, frees the port; safe to call twice. */
  close: () => Promise<void>
}

export const DEFAULT_PORT = 35729

/** Starts a standalone live-assets server beside any page server (Rails, Django, express, a static site). */
export async function createLiveServer(options: LiveServerOptions = {}): Promise<LiveServer> {
  const resolved = resolveOptions(options)
  const { logger } = resolved
  const host = options.host === true ? '0.0.0.0' : options.host ?? '127.0.0.1'
  const handler = createHandler(resolved)
  try {
    await handler.ready
  }
  catch (error) {
    await handler.close()
    throw error
  }
  const server = createServer((req, res) => handler(req, res))
  // Streams are long-lived: only the header phase of a request is timed.
  server.requestTimeout = 0

  let port: number
  try {
    port = await listen(server, host, options.port ?? DEFAULT_PORT, options.strictPort ?? true, logger.warn)
  }
  catch (error) {
    await handler.close()
    throw error
  }
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}`

  const watcher = options.watch && startWatching(options.watch, handler, logger)
  await watcher?.ready
  logger.info(`listening at ${url}; pages load ${url}${resolved.base}/client.js`)

  let closing: Promise<void> | undefined
  return {
    url,
    port,
    handler,
    publish: handler.publish,
    close() {
      closing ??= (async () => {
        await Promise.all([handler.close(), watcher?.close()])
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
      })()
      return closing
    },
  }
}

function startWatching(watch: LiveServerWatchOptions, handler: Handler, logger: Handler['options']['logger']): Watcher {
  const cwd = path.resolve(watch.cwd ?? process.cwd())
  return watchMounts(createPublisher(handler, logger), { ...watch, mounts: [watchMount(watch, cwd)], cwd, logger })
}

async function listen(server: ReturnType<typeof createServer>, host: string, port: number, strict: boolean, warn: (message: string) => void): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port + attempt, host, () => {
          server.off('error', reject)
          resolve()
        })
      })
      if (attempt > 0)
        warn(`port ${port} is in use; listening on ${port + attempt} instead.`)
      return (server.address() as AddressInfo).port
    }
    catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'EADDRINUSE' || strict || port === 0 || attempt >= 20) {
        throw new Error(code === 'EADDRINUSE'
          ? `[live-assets] port ${port + attempt} on ${host} is already in use: stop the other process, pick another port, or set strictPort: false to move to the next free one.`
          : `[live-assets] could not listen on ${host}:${port + attempt}: ${(error as Error).message}`, { cause: error })
      }
    }
  }
}
