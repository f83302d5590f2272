import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import path from 'node:path'
import process from 'node:process'
import { poll } from './poll'

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface NodeProcess {
  child: ChildProcess
  /** stdout and stderr as printed, interleaved, without colour codes. */
  output: () => string
  stdout: () => string
  stderr: () => string
  /** How often `pattern` was printed so far. */
  count: (pattern: RegExp) => number
  /** Waits until `pattern` was printed `times` times in total. */
  waitFor: (pattern: RegExp, times?: number, timeout?: number) => Promise<void>
  exited: Promise<Exit>
  /** Sends `signal` unless it already exited, and resolves with the exit and how long it took. */
  stop: (signal?: NodeJS.Signals) => Promise<Exit & { ms: number }>
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[\d;]*m/g
/** Every process group started here; each is ended by `killAll`, exited leaders included (their children may live on). */
const groups = new Set<number>()

/**
 * Runs `node <script> <args>` in `cwd`, the way a package script runs a bundler's bin, in a process group of its own so
 * that `killAll` ends what it started too (a dev server's workers, a CLI's child).
 */
export function spawnNode(cwd: string, script: string, args: string[], env: Record<string, string> = {}): NodeProcess {
  const child = spawn(process.execPath, [path.resolve(cwd, script), ...args], {
    cwd,
    env: { ...process.env, FORCE_COLOR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  groups.add(child.pid!)
  const printed = { all: '', stdout: '', stderr: '' }
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].setEncoding('utf8').on('data', (chunk: string) => {
      const text = chunk.replace(ANSI, '')
      printed[stream] += text
      printed.all += text
    })
  }
  let exit: Exit | undefined
  const exited = new Promise<Exit>(resolve => child.once('exit', (code, signal) => {
    exit = { code, signal }
    resolve(exit)
  }))
  const count = (pattern: RegExp): number => printed.all.match(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`))?.length ?? 0
  return {
    child,
    output: () => printed.all,
    stdout: () => printed.stdout,
    stderr: () => printed.stderr,
    count,
    async waitFor(pattern, times = 1, timeout = 30_000) {
      await poll(() => {
        if (count(pattern) >= times)
          return true
        if (exit)
          throw new Error(`exited (${JSON.stringify(exit)})`)
        return false
      }, { timeout, what: `${JSON.stringify(pattern.source)} x${times} in:\n${printed.all}` })
    },
    exited,
    async stop(signal = 'SIGTERM') {
      const started = Date.now()
      if (!exit)
        child.kill(signal)
      return { ...await exited, ms: Date.now() - started }
    },
  }
}

/** Kills every process group started by `spawnNode` that is still there: for teardown hooks, after a failed test too. */
export function killAll(): void {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL')
    }
    catch {} // the whole group is gone already
  }
  groups.clear()
}
