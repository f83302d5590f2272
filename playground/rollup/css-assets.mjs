// Two tiny Rollup plugins for the playground: imported stylesheets become CSS assets, and the page is copied to dist/.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import postcss from 'postcss'

const IMPORT = /@import\s+(?:url\()?["']([^"']+)["']\)?\s*;/g

/**
 * `import './styles/a.css'` emits `a.css` (its `@import`s inlined) and adds nothing to the JavaScript. A syntax
 * error fails the build with the file, line and column, as a real CSS plugin would.
 * @returns {import('rollup').Plugin} a Rollup plugin
 */
export function cssAssets() {
  return {
    name: 'css-assets',
    async transform(code, id) {
      if (!id.endsWith('.css'))
        return null
      const css = await inlineImports(this, code, id)
      try {
        postcss.parse(css, { from: id })
      }
      catch (error) {
        if (!(error instanceof postcss.CssSyntaxError))
          throw error
        this.error({ message: error.reason, id: error.file ?? id, loc: { file: error.file ?? id, line: error.line ?? 1, column: (error.column ?? 1) - 1 }, frame: error.showSourceCode(false) })
      }
      this.emitFile({ type: 'asset', name: path.basename(id), source: css })
      return { code: 'export {}', map: { mappings: '' } }
    },
  }
}

/**
 * @param {import('rollup').TransformPluginContext} context
 * @param {string} css
 * @param {string} file
 * @returns {Promise<string>} the CSS with every `@import` replaced by the partial's content
 */
async function inlineImports(context, css, file) {
  let result = ''
  let last = 0
  for (const match of css.matchAll(IMPORT)) {
    const partial = path.resolve(path.dirname(file), match[1])
    // A change of the partial rebuilds the sheet that imports it.
    context.addWatchFile(partial)
    result += css.slice(last, match.index) + await inlineImports(context, await readFile(partial, 'utf8'), partial)
    last = match.index + match[0].length
  }
  return result + css.slice(last)
}

/**
 * Copies the page into the output.
 * @param {string} file the page, relative to the playground
 * @returns {import('rollup').Plugin} a Rollup plugin
 */
export function htmlPage(file) {
  return {
    name: 'html-page',
    buildStart() {
      this.addWatchFile(path.resolve(file))
    },
    async generateBundle() {
      this.emitFile({ type: 'asset', fileName: path.basename(file), source: await readFile(file, 'utf8') })
    },
  }
}
