import type { LiveServer, Publisher } from '@live-assets/core'
import type { PluginLogger } from './logger'
import type { ResolvedOptions } from './options'
import { createConsoleLogger, createLiveServer, createPublisher, ROUTES } from '@live-assets/core'

/** One user's hold on the shared standalone server of its port. */
export interface StandaloneLease {
  /** e.g. `http://127.0.0.1:35729`. */
  url: string
  /** e.g. `http://127.0.0.1:35729/__live_assets/client.js`. */
  clientUrl: string
  events: Publisher
  logger: PluginLogger
  /** Ends this hold; the server closes once no user holds it any more. Safe to call twice. */
  release: () => void
}

interface Entry {
  server: Promise<LiveServer>
  events?: Publisher
  users: number
  closeTimer?: NodeJS.Timeout
  /** Page origins a later user listed that the running server does not allow: each is said once. */
  refused: Set<string>
}

/**
 * A config reload (`rollup -w` when its config file changes) closes the old watcher before the new one builds: the
 * server waits this long for a new user before closing, so pages keep their stream and nothing is missed.
 */
const REUSE_WINDOW_MS = 1000

/**
 * Process-wide, and shared by every copy of this module (the ESM and the CommonJS build, a config bundled twice):
 * several configs in an array, or the old and the new plugin of a config reload, use one server per port.
 */
const REGISTRY_KEY = Symbol.for('live-assets.standalone-servers')
const registry: Map<string, Entry> = ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] ??= new Map()) as Map<string, Entry>

/**
 * Takes a hold on the standalone server for `options.standalone.port`, starting it on first use with that user's
 * options, resolved once. A later user whose `allowedOrigins` the server lacks is told so: the server's options
 * never change after it started.
 */
export async function acquireStandalone(options: ResolvedOptions, logger: PluginLogger = standaloneLogger(options.debug)): Promise<StandaloneLease> {
  const { port, host } = options.standalone
  const key = `${host}:${port}`
  let entry = registry.get(key)
  if (entry) {
    clearTimeout(entry.closeTimer)
    entry.closeTimer = undefined
  }
  else {
    entry = { users: 0, server: start(options, logger), refused: new Set() }
    registry.set(key, entry)
    // A failed start (a taken port with strictPort) is reported to this user and not kept for the next one.
    entry.server.catch(() => registry.get(key) === entry && registry.delete(key))
  }
  entry.users++
  let server: LiveServer
  try {
    server = await entry.server
  }
  catch (error) {
    entry.users--
    throw error
  }
  warnAboutOrigins(server, options, entry.refused, logger)
  entry.events ??= createPublisher(server.handler, logger)
  const held = entry
  let released = false
  return {
    url: server.url,
    clientUrl: `${server.url}${server.handler.options.base}${ROUTES.client}`,
    events: held.events!,
    logger,
    release() {
      if (released)
        return
      released = true
      if (--held.users > 0)
        return
      held.closeTimer = setTimeout(() => {
        if (registry.get(key) === held)
          registry.delete(key)
        void server.close()
      }, REUSE_WINDOW_MS)
    },
  }
}

async function start(options: ResolvedOptions, logger: PluginLogger): Promise<LiveServer> {
  const { port, host, strictPort } = options.standalone
  const server = await createLiveServer({
    ...options.server,
    allowedHosts: options.allowedHosts,
    port,
    host,
    strictPort,
    logger,
  })
  const tag = `<script src="${server.url}${options.server.base}${ROUTES.client}"></script>`
  logger.info(`live server at ${server.url}; pages that do not load the bundle add ${tag}`)
  // A page on another origin that is refused is named in the terminal by the handler, with the option to add.
  return server
}

/** Configs that share a port share one server: origins only a later one lists would be refused without a word. */
function warnAboutOrigins(server: LiveServer, options: ResolvedOptions, refused: Set<string>, logger: PluginLogger): void {
  const allowed = server.handler.options.allowedOrigins
  const missing = options.server.allowedOrigins.filter(origin => !allowed.includes(origin) && !refused.has(origin))
  if (missing.length === 0)
    return
  missing.forEach(origin => refused.add(origin))
  logger.warn(`the live server at ${server.url} is shared by every config on port ${options.standalone.port} and was started with allowedOrigins ${JSON.stringify(allowed)}, so pages on ${missing.join(', ')} are refused: list the same allowedOrigins in every config of that port, or give this config its own port.`)
}

/** Watch mode has no dev server logger to borrow: the console, each line prefixed with `[live-assets]`. */
export function standaloneLogger(debug: boolean): PluginLogger {
  return createConsoleLogger(debug)
}
