import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import path from 'node:path'
import process from 'node:process'
import { poll } from '../dev-server/harness'

export { paintedAt, sampleColors, unstyledFrames as unstyled } from '../utils/colors'

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface WatchProcess {
  child: ChildProcess
  /** stdout and stderr as printed, interleaved. */
  output: () => string
  /** How often `pattern` was printed so far. */
  count: (pattern: RegExp) => number
  /** Waits until `pattern` was printed `times` times in total. */
  waitFor: (pattern: RegExp, times?: number, timeout?: number) => Promise<void>
  exited: Promise<Exit>
  /** Sends `signal` and waits for the exit. */
  stop: (signal?: NodeJS.Signals) => Promise<Exit>
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[\d;]*m/g
const running = new Set<ChildProcess>()

/** Runs `node <script> <args>` in `cwd`, the way a package script runs a bundler's bin. */
export function spawnNode(cwd: string, script: string, args: string[], env: Record<string, string> = {}): WatchProcess {
  const child = spawn(process.execPath, [path.resolve(cwd, script), ...args], { cwd, env: { ...process.env, FORCE_COLOR: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  let output = ''
  const append = (chunk: string): void => {
    output += chunk.replace(ANSI, '')
  }
  child.stdout!.setEncoding('utf8').on('data', append)
  child.stderr!.setEncoding('utf8').on('data', append)
  let exit: Exit | undefined
  const exited = new Promise<Exit>(resolve => child.once('exit', (code, signal) => {
    running.delete(child)
    exit = { code, signal }
    resolve(exit)
  }))
  const count = (pattern: RegExp): number => output.match(new RegExp(pattern.source, 'g'))?.length ?? 0
  return {
    child,
    output: () => output,
    count,
    async waitFor(pattern, times = 1, timeout = 30_000) {
      await poll(() => {
        if (count(pattern) >= times)
          return true
        if (exit)
          throw new Error(`exited (${JSON.stringify(exit)})`)
        return false
      }, { timeout, what: `${JSON.stringify(pattern.source)} x${times} in:\n${output}` })
    },
    exited,
    async stop(signal = 'SIGTERM') {
      if (!exit)
        child.kill(signal)
      return exited
    },
  }
}

/** Kills whatever a failed test left running. */
export function killAll(): void {
  for (const child of running)
    child.kill('SIGKILL')
}

const LIVE_URL = /live server at (http:\/\/[\d.:[\]a-z]+)/

/** The live server's URL from its log line. */
export function liveUrlOf(output: string): string {
  const match = LIVE_URL.exec(output)
  if (!match)
    throw new Error(`no "live server at" line in:\n${output}`)
  return match[1]
}
