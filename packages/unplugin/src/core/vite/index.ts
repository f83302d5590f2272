import type { Mount } from '@live-assets/core'
import type { Plugin, ViteDevServer } from 'vite'
import type { ResolvedOptions } from '../shared/options'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { createChangeCollector, createFilePublisher, directoryMount, globBase, isWithin, ROUTES } from '@live-assets/core'
import { createLiveHandler, servedMounts } from '../shared/live-handler'
import { prefixedLogger } from '../shared/logger'

interface Session {
  close: () => void
}

/**
 * Vite's dev server: the endpoints are mounted in Vite's own middleware stack (same origin as the page), the
 * client is added to `index.html`, and Vite's watcher reports the stylesheets that are ours. CSS that Vite
 * processes (imported from JS, or linked from `index.html`) is Vite's: its HMR swaps it, we never do.
 */
export function viteDevServer(options: ResolvedOptions): Partial<Plugin> {
  return {
    apply: 'serve',
    configureServer(server) {
      const session = startSession(server, options)
      // Closing or restarting a server closes its watcher first: the one signal that names the server. A plugin object
      // can serve several servers (`server.restart()` with an inline plugin reuses it, then closes the old server
      // after the new one is configured), so each session ends with its own server's watcher.
      const { watcher } = server
      const closeWatcher = watcher.close
      watcher.close = function (this: typeof watcher) {
        session.close()
        return closeWatcher.call(this)
      }
    },
    transformIndexHtml: {
      order: 'pre',
      handler: () => [{
        tag: 'script',
        attrs: { src: `${options.server.base}${ROUTES.client}`, ...options.nonce && { nonce: options.nonce } },
        injectTo: 'head-prepend',
      }],
    },
  }
}

function startSession(server: ViteDevServer, options: ResolvedOptions): Session {
  // Captured now: after a restart, `server` forwards to the new server's properties.
  const { config, watcher } = server
  const logger = prefixedLogger(config.logger, options.debug, { timestamp: true })
  const live = createLiveHandler(options, logger)
  // Added before Vite's internal middlewares (this is not a post hook), after its Host check and CORS.
  server.middlewares.use(live.middleware)

  const mounts = servedMounts(config.publicDir ? [directoryMount(config.publicDir, config.base)] : [], options, config.root)
  // Vite serves publicDir as is, whatever other plugins add to its module graph: Tailwind CSS calls `addWatchFile` for
  // every file it scans, public stylesheets included. Only a file outside it can be one that Vite processes.
  const publicDir = config.publicDir ? path.resolve(config.publicDir) : undefined
  const isOurs = (file: string): boolean => {
    if (publicDir && isWithin(publicDir, file))
      return true
    const graph = server.environments?.client?.moduleGraph ?? server.moduleGraph
    if (!graph.getModulesByFile(file)?.size)
      return true
    logger.debug(`${path.relative(config.root, file)} is processed by Vite: its HMR updates it.`)
    return false
  }
  const publish = createFilePublisher(live, { mounts, cwd: config.root, logger })
  // Filtered when reported, not when seen: the collector also finds saves that had no event (see `prime`).
  const collector = createChangeCollector({
    onChange: (files, contents, hashes) => {
      const ours = files.filter(isOurs)
      if (ours.length)
        publish(ours, contents, hashes)
    },
    onError: (error, file) => logger.warn(`could not read ${file ?? 'a changed stylesheet'} (${error.message}); its change is not sent to the page.`),
  })
  const onFileEvent = (file: string): void => {
    if (mounts.some(mount => mount.includes(file)))
      collector.add(file)
  }

  const directories = [...new Set(mounts.flatMap(mount => mount.watch.filter(p => !p.startsWith('!')).map(p => globBase(p, config.root))))]
  watcher.add(directories)
  watcher.on('change', onFileEvent)
  watcher.on('add', onFileEvent)
  watcher.on('unlink', onFileEvent)
  void existingFiles(directories, mounts).then(collector.prime)

  let closed = false
  return {
    close() {
      if (closed)
        return
      closed = true
      watcher.off('change', onFileEvent)
      watcher.off('add', onFileEvent)
      watcher.off('unlink', onFileEvent)
      collector.close()
      live.close()
    },
  }
}

/** The stylesheets that exist now, so that a first save without changes sends nothing. */
async function existingFiles(directories: string[], mounts: Mount[]): Promise<string[]> {
  const found = await Promise.all(directories.map(async (directory) => {
    try {
      const entries = await readdir(directory, { recursive: true })
      return entries
        .filter(entry => !/(?:^|[\\/])(?:node_modules|\.git)(?:[\\/]|$)/.test(entry))
        .map(entry => path.join(directory, entry))
    }
    catch {
      return []
    }
  }))
  return found.flat().filter(file => mounts.some(mount => mount.includes(file)))
}
