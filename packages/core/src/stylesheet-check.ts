import type { ErrorPayload } from '@live-assets/protocol'
import type { Buffer } from 'node:buffer'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import postcss from 'postcss'

/**
 * Stylesheets that no bundler builds (Vite's `publicDir`, a dev server's `static` directory, `watch` files) are
 * parsed before the page gets them: a browser silently drops everything after an unclosed block, so a typo would
 * show as a half-styled page. A syntax error is reported like a build error instead, and the page keeps its old sheet.
 * @param file the stylesheet, an absolute path
 * @param root messages name the file relative to it
 * @param content the file as the caller has read it already (the change collector hands it on): not read again
 * @returns the error, or `undefined` when the file parses or is gone
 */
export async function checkStylesheet(file: string, root: string, content?: Buffer | string): Promise<ErrorPayload | undefined> {
  let css: string
  try {
    css = content === undefined ? await readFile(file, 'utf8') : content.toString()
  }
  catch {
    return undefined
  }
  const relative = path.relative(root, file).replace(/\\/g, '/')
  try {
    postcss.parse(css, { from: relative })
    return undefined
  }
  catch (error) {
    if (!(error instanceof postcss.CssSyntaxError))
      throw error
    const { reason, line, column } = error
    return {
      message: `${reason}\n\n${error.showSourceCode(false)}`,
      file: relative,
      ...(line ? { line } : {}),
      ...(line && column ? { column } : {}),
      source: 'css',
    }
  }
}
