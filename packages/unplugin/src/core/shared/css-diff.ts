import type { RenamedFile } from '@live-assets/core'
import { createHash } from 'node:crypto'

export interface CssOutput {
  /** Output path relative to the output directory, e.g. `css/app.3f2a1b.css`. */
  fileName: string
  source: string | Uint8Array
  /**
   * What stays the same across builds when the file name carries a content hash, e.g. `css/app.[contenthash].css`
   * or the chunk name. Two builds' outputs with the same key but different names are a rename.
   * @default fileName
   */
  key?: string
}

export interface CssChanges {
  /** URLs of the outputs whose content changed, sorted; a renamed output is listed by its new URL. */
  files: string[]
  /** Outputs whose name changed with their content. */
  renamed: RenamedFile[]
}

export interface CssDiff {
  /**
   * Compares a build's CSS outputs with the previous call's. The first call only records a baseline and reports
   * nothing. Outputs that appeared (no page links them yet) or disappeared (no page can load them) are not reported.
   */
  update: (outputs: CssOutput[]) => CssChanges
}

interface Recorded {
  fileName: string
  hash: string
}

/**
 * Tells which emitted stylesheets changed between two builds, by content. Bundler-neutral: dev servers
 * (webpack, Rspack) and watch-mode builds (Rollup, esbuild) feed it their outputs after each successful build.
 * @param toUrl maps an output file name to the URL path the page requests, e.g. by prefixing the public path
 */
export function createCssDiff(toUrl: (fileName: string) => string = fileName => `/${fileName}`): CssDiff {
  let previous: Map<string, Recorded> | undefined

  return {
    update(outputs) {
      const current = new Map<string, Recorded>()
      for (const output of outputs)
        current.set(output.key ?? output.fileName, { fileName: output.fileName, hash: hash(output.source) })

      const files = new Set<string>()
      const renamed: RenamedFile[] = []
      if (previous) {
        for (const [key, now] of current) {
          const before = previous.get(key)
          // A new output is linked by no page yet: reporting it would only make clients reload every sheet.
          if (!before || (before.hash === now.hash && before.fileName === now.fileName))
            continue
          const url = toUrl(now.fileName)
          files.add(url)
          if (before.fileName !== now.fileName)
            renamed.push({ from: toUrl(before.fileName), to: url })
        }
      }
      previous = current
      return {
        files: [...files].sort(),
        renamed: renamed.sort((a, b) => a.to.localeCompare(b.to)),
      }
    },
  }
}

function hash(source: string | Uint8Array): string {
  return createHash('sha1').update(source).digest('base64')
}
