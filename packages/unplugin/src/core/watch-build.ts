import type { ErrorPayload } from '@live-assets/core'
import type { CssDiff, CssOutput } from './css-diff'
import type { ResolvedOptions } from './options'
import type { StandaloneLease } from './standalone'
import path from 'node:path'
import { EVENTS, fileKind } from '@live-assets/core'
import picomatch from 'picomatch'
import { createCssDiff } from './css-diff'
import { isStylesheet } from './url-map'

/** One emitted file of a watch-mode build, named relative to its output directory. */
export type BuildOutput = CssOutput

export interface WatchBuild {
  /**
   * A build wrote `outputs` into `outDir`: changed stylesheets go out as one `reloadCSS`, a changed `reload` output
   * reloads the page, and a previous error is cleared. The first build of a directory is only recorded.
   * @param publicPath URL path of `outDir`, when the bundler knows better than the `publicPath` option
   */
  written: (outDir: string, outputs: BuildOutput[], publicPath?: string) => void
  /** A build failed: the page shows the overlay and keeps its styles; nothing is diffed from it. */
  failed: (error: ErrorPayload) => void
}

interface Directory {
  css: CssDiff
  /** The `reload` outputs, compared by content too. */
  reload: CssDiff
  publicPath: string
}

let users = 0

/**
 * What one plugin instance publishes after each watch-mode build, through its hold on the shared server. Outputs are
 * compared per output directory, so one plugin used by several configs (or outputs) compares each with itself.
 */
export function createWatchBuild(lease: StandaloneLease, options: ResolvedOptions, bundler: string): WatchBuild {
  // Each instance reports its own error: another config's good build does not hide it.
  const source = `${bundler}#${++users}`
  const isReload = picomatch(options.standalone.reload.length ? options.standalone.reload : ['!**'], { dot: true })
  const diffs = new Map<string, Directory>()

  return {
    written(outDir, outputs, publicPath = options.standalone.publicPath) {
      const key = path.resolve(outDir)
      let diff = diffs.get(key)
      if (!diff) {
        const created: Directory = { publicPath, css: createCssDiff(fileName => `${created.publicPath}${fileName}`), reload: createCssDiff() }
        diffs.set(key, diff = created)
      }
      diff.publicPath = publicPath
      const posix = outputs.map(output => ({ ...output, fileName: output.fileName.replace(/\\/g, '/') }))
      const css = diff.css.update(posix.filter(output => isStylesheet(output.fileName)))
      // As in the core's watcher: a source map comes with its stylesheet's swap and never reloads the page.
      const reloads = diff.reload.update(posix.filter(output => !['stylesheet', 'sourcemap'].includes(fileKind(output.fileName)) && isReload(output.fileName))).files
      lease.events.setError(source, undefined)
      if (reloads.length) {
        lease.logger.info(`page reload: ${reloads.map(url => url.slice(1)).join(', ')} changed`)
        lease.publish(EVENTS.reload, { reason: `${path.posix.basename(reloads[0])} changed` })
        return
      }
      if (css.files.length)
        lease.logger.info(`css update: ${css.files.join(', ')}`)
      lease.events.reloadCSS(css.files, css.renamed)
    },
    failed(error) {
      lease.events.setError(source, { ...error, source: error.source ?? bundler })
    },
  }
}
