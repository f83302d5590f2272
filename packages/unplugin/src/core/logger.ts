import type { Logger } from '@live-assets/core'

/** The core's logger plus `debug`, which prints only with the `debug` option. */
export interface PluginLogger extends Logger {
  debug: (message: string) => void
}

/** Vite's `config.logger`, as far as we use it. */
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

/** Vite prints messages as given: the prefix is ours to add, with Vite's timestamp like its own HMR lines. */
export function viteLogger(logger: ViteLogger, debug: boolean): PluginLogger {
  const line = (message: string): string => `[live-assets] ${message}`
  return {
    info: message => logger.info(line(message), { timestamp: true }),
    warn: message => logger.warn(line(message), { timestamp: true }),
    error: message => logger.error(line(message), { timestamp: true }),
    debug: message => debug && logger.info(line(message), { timestamp: true }),
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
