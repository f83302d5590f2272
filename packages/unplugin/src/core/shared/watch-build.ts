import type { ErrorPayload } from '@live-assets/core'
import type { CssDiff, CssOutput } from './css-diff'
import type { ResolvedOptions } from './options'
import type { StandaloneLease } from './standalone'
import path from 'node:path'
import { fileKind, isStylesheet, matcher } from '@live-assets/core'
import { createCssDiff } from './css-diff'

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
  /** Whether an output (by its absolute path) is one of the `reload` globs, relative to the output directory. */
  isReload: (file: string) => boolean
  publicPath: string
  /** URLs of stylesheets its last build emptied, not published yet (see {@link EMPTIED_WAIT_MS}). */
  emptied: string[]
  emptiedTimer?: NodeJS.Timeout
}

let users = 0

/**
 * How long a stylesheet that a build emptied waits for the next build. A save written in place is a truncate, then a
 * write: a watcher that reads the source in between (esbuild's polling, Rolldown on a busy machine) builds from an
 * empty file, then again at once. Swapped in, that empty sheet would leave the page unstyled until the second build.
 * A sheet still empty after this wait, or in the next build, was emptied for real.
 */
export const EMPTIED_WAIT_MS = 300

/**
 * What one plugin instance publishes after each watch-mode build, through its hold on the shared server. Outputs are
 * compared per output directory, so one plugin used by several configs (or outputs) compares each with itself.
 */
export function createWatchBuild(lease: StandaloneLease, options: ResolvedOptions, bundler: string): WatchBuild {
  // Each instance reports its own error: another config's good build does not hide it.
  const source = `${bundler}#${++users}`
  const diffs = new Map<string, Directory>()

  return {
    written(outDir, outputs, publicPath = options.standalone.publicPath) {
      const key = path.resolve(outDir)
      let diff = diffs.get(key)
      if (!diff) {
        const created: Directory = { publicPath, emptied: [], css: createCssDiff(fileName => `${created.publicPath}${fileName}`), reload: createCssDiff(), isReload: matcher(options.standalone.reload, key) }
        diffs.set(key, diff = created)
      }
      diff.publicPath = publicPath
      const posix = outputs.map(output => ({ ...output, fileName: output.fileName.replace(/\\/g, '/') }))
      const sheets = posix.filter(output => isStylesheet(output.fileName))
      const css = diff.css.update(sheets)
      const empty = new Set(sheets.filter(output => !output.source.length).map(output => `${publicPath}${output.fileName}`))
      clearTimeout(diff.emptiedTimer)
      // Emptied by the build before and still empty: emptied for real. Changed again: in `css.files`.
      const files = [...diff.emptied.filter(url => empty.has(url) && !css.files.includes(url)), ...css.files.filter(url => !empty.has(url))].sort()
      const emptied = diff.emptied = css.files.filter(url => empty.has(url))
      if (emptied.length) {
        diff.emptiedTimer = setTimeout(() => {
          lease.events.changed({ reload: [], css: emptied, renamed: [] })
          diff.emptied = []
        }, EMPTIED_WAIT_MS).unref()
      }
      // As for saved files: a source map comes with its stylesheet's swap and never reloads the page.
      const reloads = diff.reload.update(posix.filter(output => fileKind(output.fileName) === 'other' && diff.isReload(path.resolve(key, output.fileName)))).files
      lease.events.setError(source, undefined)
      lease.events.changed({ reload: reloads.map(url => url.slice(1)), css: files, renamed: css.renamed })
    },
    failed(error) {
      lease.events.setError(source, { ...error, source: error.source ?? bundler })
    },
  }
}
