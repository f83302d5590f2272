import type { Logger } from '@live-assets/core'

/** The core's logger plus `debug`, which prints only with the `debug` option. */
export interface PluginLogger extends Logger {
  debug: (message: string) => void
}

/** Vite's `config.logger` or Rsbuild's `api.logger`, as far as we use them. */
interface ViteLogger {
  info: (message: string, options?: { timestamp?: boolean }) => void
  warn: (message: string, options?: { timestamp?: boolean }) => void
  error: (message: string, options?: { timestamp?: boolean }) => void
}

/** What `compiler.getInfrastructureLogger(name)` returns in webpack and Rspack. */
interface InfrastructureLogger {
  info: (...args: any[]) => void
  warn: (...args: any[]) => void
  error: (...args: any[]) => void
}

/**
 * A bundler's logger that prints messages as given (Vite's, Rsbuild's): the prefix is ours to add. Vite's lines get
 * its timestamp, like its own HMR lines.
 */
export function prefixedLogger(logger: ViteLogger, debug: boolean, options?: { timestamp?: boolean }): PluginLogger {
  // No second argument without options: Rsbuild's logger would print it.
  const args = (message: string): [string, { timestamp?: boolean }?] => options ? [`[live-assets] ${message}`, options] : [`[live-assets] ${message}`]
  return {
    info: message => logger.info(...args(message)),
    warn: message => logger.warn(...args(message)),
    error: message => logger.error(...args(message)),
    debug: message => debug && logger.info(...args(message)),
  }
}

/** The infrastructure logger is named `live-assets` and already prints `[live-assets]` before each line. */
export function infrastructureLogger(logger: InfrastructureLogger, debug: boolean): PluginLogger {
  return {
    info: message => logger.info(message),
    warn: message => logger.warn(message),
    error: message => logger.error(message),
    debug: message => debug && logger.info(message),
  }
}
