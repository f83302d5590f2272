import type { ErrorPayload } from '@live-assets/core'
import { checkStylesheet, isStylesheet } from '@live-assets/core'

export interface SourceCheck {
  /**
   * The first syntax error among the stylesheets saved since the last call and those still broken at the last call.
   * @param modified the files the compiler saw change (`compiler.modifiedFiles`)
   */
  check: (modified: Iterable<string>) => Promise<ErrorPayload | undefined>
}

/**
 * Rsbuild compiles CSS with a parser that recovers from syntax errors the way browsers do: `#a {{` builds without an
 * error into an empty sheet, and swapping it in would drop the page's styles. The `.css` sources of a build are parsed
 * as public stylesheets are, so such a typo shows in the overlay and the page keeps its last good sheet. A file stays
 * on the list until it parses (or is gone), so a save of another file cannot publish the broken one's output.
 * @param root the project root, against which the overlay names files
 */
export function createSourceCheck(root: string): SourceCheck {
  const broken = new Set<string>()
  return {
    async check(modified) {
      const files = new Set([...broken, ...[...modified].filter(isStylesheet)])
      let first: ErrorPayload | undefined
      for (const file of [...files].sort()) {
        const error = await checkStylesheet(file, root)
        if (error)
          broken.add(file)
        else
          broken.delete(file)
        first ??= error
      }
      return first
    },
  }
}
