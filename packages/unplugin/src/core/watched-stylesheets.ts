import type { LiveHandler } from './live-handler'
import type { Mount } from './url-map'
import { checkStylesheet } from './stylesheet-check'
import { isStylesheet, urlsOf } from './url-map'

/**
 * What a save of stylesheets no bundler builds turns into: a syntax error shows the overlay and the page keeps the old
 * sheet; the good ones are sent as one `reloadCSS`, under every URL their mounts give them. Changed images are sent
 * as one `reloadAssets`.
 * @returns a function to call with each batch of changed files; batches are handled one after another
 */
export function createStylesheetPublisher(live: LiveHandler, mounts: Mount[], root: string, onError: (error: Error) => void): (files: string[]) => void {
  let queue = Promise.resolve()

  async function publish(files: string[]): Promise<void> {
    const good: string[] = []
    const urls = (list: string[]): string[] => [...new Set(list.flatMap(file => urlsOf(file, mounts)))].sort()
    for (const file of files.filter(isStylesheet)) {
      const error = await checkStylesheet(file, root)
      live.setError(`stylesheet:${file}`, error)
      if (!error)
        good.push(file)
    }
    live.reloadCSS(urls(good))
    live.reloadAssets(urls(files.filter(file => !isStylesheet(file))))
  }

  return (files) => {
    queue = queue.then(() => publish(files)).catch(onError)
  }
}
