import type { ErrorPayload } from '@live-assets/core'
import type { Compilation } from 'webpack'
import type { CssOutput } from '../shared/css-diff'
import { isStylesheet } from '@live-assets/core'

type AssetInfo = ReturnType<Compilation['getAssets']>[number]['info']

/**
 * The `.css` assets of a compilation, keyed so that a content-hashed name is recognised across builds.
 * @param compilation read before emitting: afterwards webpack keeps only the sizes of sources
 * @param withoutChunkCss leave out the stylesheets of chunks: with hot module replacement on, webpack swaps those
 */
export function cssOutputs(compilation: Compilation, withoutChunkCss: boolean): CssOutput[] {
  const chunkFiles = new Set(withoutChunkCss ? [...compilation.chunks].flatMap(chunk => [...chunk.files]) : [])
  return compilation.getAssets()
    .filter(asset => isStylesheet(asset.name) && !asset.info.hotModuleReplacement && !chunkFiles.has(asset.name))
    .map(asset => ({ fileName: asset.name, source: asset.source.buffer(), key: stableName(asset.name, asset.info) }))
}

/** `css/app.3f2a1b9c.css` with `contenthash: '3f2a1b9c'` -> `css/app.[hash].css`. */
function stableName(name: string, info: AssetInfo): string {
  const hashes = [info.contenthash, info.chunkhash, info.fullhash].flat().filter((h): h is string => typeof h === 'string' && h !== '')
  return hashes.reduce((key, hash) => key.split(hash).join('[hash]'), name)
}

/**
 * The URL path prefix of emitted assets: `output.publicPath` with placeholders filled in, only its path when it is a
 * full URL, and `/` for `auto` (the dev server then serves assets from its root).
 */
export function publicPathOf(compilation: Compilation, devMiddlewarePublicPath?: string): string {
  const configured = compilation.outputOptions.publicPath
  let publicPath = typeof configured === 'string' && configured !== 'auto'
    ? compilation.getPath(configured, { hash: compilation.hash ?? undefined })
    : devMiddlewarePublicPath && devMiddlewarePublicPath !== 'auto' ? devMiddlewarePublicPath : '/'
  if (/^(?:[a-z][a-z\d+.-]*:)?\/\//i.test(publicPath))
    publicPath = new URL(publicPath, 'http://x').pathname
  return `/${publicPath}/`.replace(/\/{2,}/g, '/')
}

interface ErrorLike {
  message?: string
  file?: string
  loc?: { start?: { line?: number, column?: number } } | string
  module?: { resource?: string, identifier?: () => string } | null
  moduleIdentifier?: string
  error?: { line?: number, column?: number, file?: string }
}

/** `(2:5)`, `:2:5` or `line 2, column 5` in a message, as css-loader, PostCSS and Sass word them. */
const LOCATION = /\((\d+):(\d+)\)|:(\d+):(\d+)\b|line (\d+),? col(?:umn)? (\d+)/i

/** `(3:1) /abs/src/b.css Unclosed block`, as PostCSS words a syntax error. */
const FILE_IN_MESSAGE = /\(\d+:\d+\) (\S+\.\w+) /

/** Rspack draws its diagnostics: `  × `, `  ╰─▶ `, `  │ ` before the text. */
const DIAGNOSTIC_GUTTER = /^\s*[×│├╰]─*▶? ?/

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[\d;]*m/g

/**
 * The first error of a failed compilation as the overlay shows it: message, file and, when the error or its
 * message says, line and column.
 */
export function toErrorPayload(errors: unknown[], context: string, source: string): ErrorPayload {
  const error = (errors[0] ?? {}) as ErrorLike
  const message = readable(String(error.message ?? error), context)
  // Rspack's loader errors may carry no module; their message names the file.
  const file = fileOf(error) ?? FILE_IN_MESSAGE.exec(String(error.message))?.[1]
  let line = error.error?.line
  let column = error.error?.column
  if (line === undefined && typeof error.loc === 'object') {
    line = error.loc.start?.line
    column = error.loc.start?.column
  }
  if (line === undefined) {
    const match = LOCATION.exec(message)
    if (match) {
      const [l, c] = match.slice(1).filter(Boolean)
      line = Number(l)
      column = Number(c)
    }
  }
  // A CSS module that fails is reported by each loader in its chain: count files, not reports.
  const others = new Set(errors.slice(1).map(e => fileOf(e as ErrorLike) ?? e).filter(f => f !== file)).size
  const more = others ? `\n\n(and errors in ${others} more file${others > 1 ? 's' : ''})` : ''
  return {
    message: `${message}${more}`,
    ...(file ? { file: relativeTo(context, file) } : {}),
    ...(line ? { line } : {}),
    ...(line && column ? { column } : {}),
    source,
  }
}

function fileOf(error: ErrorLike): string | undefined {
  return (error.error?.file ?? error.module?.resource ?? error.file ?? resourceOf(error.moduleIdentifier))?.split('?')[0]
}

/**
 * Without colours, loader stack frames and absolute paths: `(from ../../node_modules/.pnpm/css-loader@7/node_modules/
 * css-loader/dist/cjs.js)` becomes `(from css-loader)`.
 */
function readable(message: string, context: string): string {
  return message
    .replace(ANSI, '')
    .replace(/\(from [^)]*node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/][^)]*\)/g, (_, name: string) => `(from ${name.replace(/\\/g, '/')})`)
    .split('\n')
    .filter(line => !/^\s+at .+:\d+:\d+\)?$/.test(line))
    .map(withoutGutter)
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .split(`${context.replace(/[\\/]+$/, '')}/`)
    .join('')
    .trim()
}

function withoutGutter(line: string): string {
  let text = line
  while (DIAGNOSTIC_GUTTER.test(text))
    text = text.replace(DIAGNOSTIC_GUTTER, '')
  return text.trimEnd()
}

/** A loader chain identifier ends with the resource: `css-loader!./src/a.css` -> `./src/a.css`. */
function resourceOf(identifier: string | undefined): string | undefined {
  return identifier?.split('!').pop()
}

function relativeTo(context: string, file: string): string {
  const prefix = `${context.replace(/[\\/]+$/, '')}/`
  return file.replace(/\\/g, '/').startsWith(prefix.replace(/\\/g, '/')) ? file.slice(prefix.length) : file
}
