import type { RsbuildConfig } from '@rsbuild/core'
import path from 'node:path'
import { isLiveFile } from '@live-assets/core'

type PublicDir = NonNullable<NonNullable<RsbuildConfig['server']>['publicDir']>
type PublicDirOptions = Exclude<PublicDir, false | unknown[]>
type WatchFiles = NonNullable<NonNullable<RsbuildConfig['dev']>['watchFiles']>

/**
 * `server.publicDir.watch` reloads the page on any change in the directory, and Rsbuild's publicDir watcher takes no
 * `ignored` option. Each watched public directory is handed to a `dev.watchFiles` entry instead, which reloads the page
 * the same way but ignores stylesheets and images: live-assets updates those in place. Other files still reload it.
 * @param config the config as `modifyRsbuildConfig` gets it; a new config is returned
 * @param root the project root, against which relative directory names resolve
 */
export function keepLiveFilesOutOfPublicDirReload(config: RsbuildConfig, root: string): RsbuildConfig {
  const watched: string[] = []
  const unwatch = (publicDir: PublicDir | undefined): PublicDir | undefined => {
    if (publicDir === undefined || publicDir === false)
      return publicDir
    const list = [publicDir].flat() as PublicDirOptions[]
    if (!list.some(item => item.watch))
      return publicDir
    const result = list.map((item) => {
      if (!item.watch)
        return item
      watched.push(path.resolve(root, item.name ?? 'public'))
      return { ...item, watch: false }
    })
    return Array.isArray(publicDir) ? result : result[0]
  }

  const environments = Object.fromEntries(Object.entries(config.environments ?? {}).map(([name, environment]) =>
    [name, environment.server?.publicDir === undefined ? environment : { ...environment, server: { ...environment.server, publicDir: unwatch(environment.server.publicDir) } }]))
  const server = config.server?.publicDir === undefined ? config.server : { ...config.server, publicDir: unwatch(config.server.publicDir) }
  if (watched.length === 0)
    return config
  const reload: WatchFiles = {
    paths: [...new Set(watched)],
    type: 'reload-page',
    options: { ignored: (file: string) => isLiveFile(file) },
  }
  return {
    ...config,
    ...(config.environments ? { environments } : {}),
    server,
    dev: { ...config.dev, watchFiles: [...[config.dev?.watchFiles ?? []].flat(), reload] },
  }
}
