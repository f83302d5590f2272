import type { Logger } from '@live-assets/core'
import process from 'node:process'

export interface CliOutput {
  /** Writes to standard output: the banner and the script tag. */
  out: (text: string) => void
  /** Writes to standard error: warnings and errors. */
  err: (text: string) => void
}

export interface CliLogger extends Logger {
  /** Only shown with `--debug`. */
  debug: (message: string) => void
}

export const processOutput: CliOutput = {
  out: text => void process.stdout.write(text),
  err: text => void process.stderr.write(text),
}

const PREFIX = '[live-assets] '

/** One `[live-assets]` prefix per line, whether or not the message already carries it (core's watcher adds its own). */
export function createCliLogger(output: CliOutput = processOutput, debug = false): CliLogger {
  const line = (message: string): string => `${PREFIX}${message.startsWith(PREFIX) ? message.slice(PREFIX.length) : message}\n`
  return {
    info: message => output.out(line(message)),
    warn: message => output.err(line(message)),
    error: message => output.err(line(message)),
    debug: message => debug && output.out(line(message)),
  }
}
