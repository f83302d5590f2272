/**
 * Where live-assets writes its messages; adapters pass the bundler's own logger. Messages come without
 * the `[live-assets]` prefix: each logger adds it once, in its own style.
 */
export interface Logger {
  info: (message: string) => void
  warn: (message: string) => void
  error: (message: string) => void
}

/** Prefixes every line with `[live-assets]`, the way all our messages start. */
export function createConsoleLogger(debug = false): Logger & { debug: (message: string) => void } {
  return {
    info: message => console.info(`[live-assets] ${message}`),
    warn: message => console.warn(`[live-assets] ${message}`),
    error: message => console.error(`[live-assets] ${message}`),
    debug: message => debug && console.debug(`[live-assets] ${message}`),
  }
}

/** A logger that drops everything, for tests and quiet embedders. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} }
