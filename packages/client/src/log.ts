/**
 * The client's console lines. The console is its only UI besides the overlay: one `info` line per swap is the point;
 * `debug` lines, every event and decision, are for `debug: true`.
 */

/**
 * Whether this build has the debug lines at all. The classic script every page loads is built without them (the server
 * serves the build with them when `debug: true`), so that the minifier drops every `debug?.(...)` with its text; the
 * ES module build keeps them and follows `config.debug` at run time.
 */
declare const __LIVE_ASSETS_DEBUG__: boolean

export const PREFIX = '[live-assets]'

export function info(message: string): void {
  // eslint-disable-next-line no-console
  console.info(PREFIX, message)
}

/**
 * Writes a debug line, once {@link startDebug} turned them on; `undefined` otherwise, and always in a build without
 * them: call it as `debug?.(...)`, so that the text is not even built. A shared worker never turns them on: nobody
 * reads its console.
 */
// eslint-disable-next-line import/no-mutable-exports
export let debug: ((message: string) => void) | undefined

/** Turns the debug lines of this window on, with `config.debug`. */
export function startDebug(config: { debug: boolean }): void {
  if (__LIVE_ASSETS_DEBUG__ && config.debug)
    // eslint-disable-next-line no-console
    debug = message => console.debug(PREFIX, message)
}
