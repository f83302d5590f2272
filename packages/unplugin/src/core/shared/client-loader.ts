import { readFileSync } from 'node:fs'

/** The loader's marker: an output that already starts with it is left alone. */
export const CLIENT_LOADER_MARKER = '/* live-assets: watch mode only */'

let source: string | undefined

/**
 * The script added to entry bundles in watch mode (built from src/inject/watch-loader.ts): adds the live server's
 * client to the page once. One line, so that prepending it to a written file moves no source-mapped line.
 */
export function clientLoader(clientUrl: string): string {
  source ??= readFileSync(new URL('./inject/watch-loader.js', import.meta.url), 'utf8').trim()
  return `;${source.replace('__LIVE_ASSETS_CLIENT_URL__', JSON.stringify(clientUrl))}${CLIENT_LOADER_MARKER}`
}
