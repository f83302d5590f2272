import type { LiveServer, LiveServerOptions } from '@live-assets/core'
import type { CliOptions } from './args'
import type { CliLogger, CliOutput } from './logger'
import { existsSync } from 'node:fs'
import path from 'node:path'
import process from 'node:process'
import { createLiveServer, globBase, ROUTES, watchMount } from '@live-assets/core'
import { redisBus } from '@live-assets/redis'
import { unreliableFileSystem } from './filesystems'
import { createCliLogger, processOutput } from './logger'

export interface StartCliOptions {
  /** Directory that relative globs and `--root` are resolved against. @default process.cwd() */
  cwd?: string
  output?: CliOutput
  logger?: CliLogger
}

export interface RunningCli {
  server: LiveServer
  /** e.g. `<script src="http://127.0.0.1:35729/__live_assets/client.js"></script>`. */
  scriptTag: string
  /** Ends every stream, stops watching, frees the port; safe to call twice. */
  close: () => Promise<void>
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]']

/** Starts the live server the command line describes and prints where it is and the tag to paste. */
export async function startCli(options: CliOptions, { cwd = process.cwd(), output = processOutput, logger = createCliLogger(output, options.debug) }: StartCliOptions = {}): Promise<RunningCli> {
  const startedAt = performance.now()
  warnAboutPaths(options, cwd, logger)
  const serverOptions = toServerOptions({ ...options, poll: options.poll ?? pollsByItself(options, cwd, logger) }, cwd, logger)
  logger.debug(`server options: ${JSON.stringify({ ...serverOptions, logger: undefined, token: undefined })}`)

  let server: LiveServer
  try {
    server = await createLiveServer(serverOptions)
  }
  catch (error) {
    if ((error as { cause?: NodeJS.ErrnoException }).cause?.code === 'EADDRINUSE') {
      throw new Error(`port ${options.port} on ${options.host} is already in use, maybe by another live-assets: stop that process, pick another port with --port <n> (--port 0 takes any free one, but then the tag changes on every start), or pass --no-strict-port to move to the next free port.`, { cause: error })
    }
    throw error
  }

  const endpoints = `${server.url}${server.handler.options.base}`
  const scriptTag = `<script src="${endpoints}${ROUTES.client}"></script>`
  const origins = serverOptions.allowedOrigins!
  const aliases = origins.filter(origin => !options.origins.includes(origin))

  logger.info(`ready in ${Math.round(performance.now() - startedAt)} ms at ${endpoints}`)
  if (options.redis)
    logger.info(`sharing events with every live-assets on ${server.handler.broadcaster.stats().bus.name}`)
  if (options.watch.length)
    logger.info(`watching ${options.watch.join(', ')}: files under ${display(serverOptions.watch!.root!, cwd)} are requested as ${options.urlBase === '/' ? '' : options.urlBase}/...`)
  for (const glob of options.reload)
    logger.info(`reloading the page when ${glob} changes`)
  const listed = `${options.origins.join(', ')}${aliases.length ? ` (and ${aliases.join(', ')})` : ''}`
  if (options.loopbackOrigins)
    logger.info(`pages allowed from localhost, *.localhost, 127.0.0.1 and [::1] on any port${options.origins.length ? `, and from ${listed}` : ' (others: --origin <origin>)'}`)
  else
    logger.info(`pages allowed from ${listed}`)
  if (!LOOPBACK.includes(options.host) && options.host !== '::1')
    logger.warn(`listening on ${options.host}: other machines can reach this port. Their Host header must be localhost or listed with --allowed-host.`)
  logger.info('add this tag to your layout, in development only:')
  output.out(`\n    ${scriptTag}\n\n`)

  return { server, scriptTag, close: server.close }
}

/** The one place where command-line values become core options. */
export function toServerOptions(options: CliOptions, cwd: string, logger: CliLogger): LiveServerOptions {
  const reload = options.reload.map(glob => relativeGlob(glob, cwd))
  return {
    host: options.host,
    port: options.port,
    strictPort: options.strictPort,
    heartbeatMs: options.heartbeatMs,
    token: options.token,
    allowedOrigins: withLoopbackAliases(options.origins),
    loopbackOrigins: options.loopbackOrigins,
    allowedHosts: options.allowedHosts,
    client: { fallback: options.fallback, overlay: options.overlay, debug: options.debug },
    logger,
    // A shared log that cannot be reached is a failed start: pages on the other processes would miss this one's edits.
    bus: options.redis ? redisBus({ url: options.redis }) : undefined,
    requireBus: true,
    watch: {
      // Core reports only files it watches: --reload globs must be watched too.
      paths: [...options.watch, ...reload],
      cwd,
      root: watchMount({ paths: [...options.watch, ...reload], root: options.root }, cwd).root,
      urlBase: options.urlBase,
      reload,
      debounceMs: options.debounceMs,
      usePolling: options.poll ?? false,
    },
  }
}

/**
 * `http://localhost:3000` also allows `http://127.0.0.1:3000` and `http://[::1]:3000`: the same local server under
 * its other names, and the most common reason a page is refused.
 */
export function withLoopbackAliases(origins: string[]): string[] {
  const all = new Set(origins)
  for (const origin of origins) {
    const url = new URL(origin)
    if (!LOOPBACK.includes(url.hostname))
      continue
    for (const name of LOOPBACK) {
      url.hostname = name
      all.add(url.origin)
    }
  }
  return [...all]
}

/** Core matches --reload globs against paths relative to cwd, so an absolute glob inside cwd is made relative. */
function relativeGlob(glob: string, cwd: string): string {
  const relative = path.isAbsolute(glob) ? path.relative(cwd, glob) : glob.replace(/^\.\//, '')
  return relative.startsWith('..') ? glob : relative.replace(/\\/g, '/')
}

function warnAboutPaths(options: CliOptions, cwd: string, logger: CliLogger): void {
  for (const glob of [...options.watch, ...options.reload]) {
    const base = globBase(glob, cwd)
    if (!existsSync(base))
      logger.warn(`${display(base, cwd)} (from ${glob}) does not exist yet: files created there later are picked up, but check that you started live-assets in your project folder (now ${cwd}).`)
  }
  const bases = new Set(options.watch.map(glob => globBase(glob, cwd)))
  if (options.root === undefined && bases.size > 1)
    logger.warn(`the --watch globs start in different folders: URLs are computed from the first, ${display([...bases][0], cwd)}, and files elsewhere are sent as ${options.urlBase === '/' ? '' : options.urlBase}/<file name>. Pages still match them by the end of their path; pass --root to map them exactly.`)
}

/** Polling where an edit may send no file event: said once, with the flag that turns it off. */
function pollsByItself(options: CliOptions, cwd: string, logger: CliLogger): boolean {
  for (const glob of [...options.watch, ...options.reload]) {
    const base = globBase(glob, cwd)
    const type = unreliableFileSystem(existsSync(base) ? base : cwd)
    if (type) {
      logger.info(`${display(base, cwd)} is on a ${type} file system (a WSL, container or network share), where edits made on the other side send no file event: polling instead (--no-poll for native events).`)
      return true
    }
  }
  return false
}

function display(dir: string, cwd: string): string {
  const relative = path.relative(cwd, dir)
  return relative === '' ? './' : relative.startsWith('..') ? dir : `${relative.replace(/\\/g, '/')}/`
}
