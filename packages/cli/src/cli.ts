#!/usr/bin/env node
import type { CliCommand } from './args'
import type { RunningCli } from './start'
import process from 'node:process'
import { version } from '../package.json'
import { parseCliArgs, UsageError } from './args'
import { runDoctor } from './doctor'
import { formatHelp } from './help'
import { createCliLogger } from './logger'
import { startCli } from './start'

/** A server whose close() hangs must not keep a Ctrl+C waiting. */
const CLOSE_TIMEOUT_MS = 2000

async function main(argv: string[]): Promise<void> {
  let command: CliCommand
  try {
    command = parseCliArgs(argv)
  }
  catch (error) {
    if (!(error instanceof UsageError))
      throw error
    process.stderr.write(`[live-assets] ${error.message}\n`)
    process.exitCode = 2
    return
  }
  if (command.command === 'help')
    return void process.stdout.write(formatHelp(version))
  if (command.command === 'version')
    return void process.stdout.write(`${version}\n`)
  // Said on standard error, before anything else: doctor's standard output is its findings only.
  for (const warning of command.warnings)
    process.stderr.write(`[live-assets] ${warning}\n`)
  if (command.command === 'doctor') {
    const findings = await runDoctor(command.options, command.pageUrl)
    process.exitCode = findings.some(finding => finding.verdict === 'problem') ? 1 : 0
    return
  }

  const logger = createCliLogger(undefined, command.options.debug)
  let cli: RunningCli
  try {
    cli = await startCli(command.options, { logger })
  }
  catch (error) {
    logger.error(error instanceof Error ? error.message : String(error))
    process.exitCode = 1
    return
  }

  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping)
      return process.exit(0)
    stopping = true
    logger.debug(`${signal}: closing`)
    setTimeout(() => process.exit(0), CLOSE_TIMEOUT_MS).unref()
    void cli.close().finally(() => process.exit(0))
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, stop)
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`[live-assets] unexpected failure, please report it with this output: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exitCode = 1
})
