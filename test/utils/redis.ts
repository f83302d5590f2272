import type { ChildProcess } from 'node:child_process'
import { Buffer } from 'node:buffer'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import process from 'node:process'
import { freePort } from '../reliability/stream'
import { poll } from './poll'

export interface RedisServer {
  /** e.g. `redis://127.0.0.1:41234`. */
  url: string
  port: number
  /** Stops it (SIGTERM) and waits for the exit. With `persist`, the data is saved and comes back on `start()`. */
  stop: () => Promise<void>
  /** Kills it (SIGKILL): what a crash looks like. */
  kill: () => Promise<void>
  /** Starts it again on the same port; `empty` throws its data away first. */
  start: (options?: { empty?: boolean }) => Promise<void>
  /** SIGSTOP / SIGCONT: a Redis that stops answering without closing its connections. */
  pause: () => void
  resume: () => void
  /** How many clients are connected, as Redis counts them (CLIENT LIST, the test's own connection excluded). */
  clients: () => Promise<number>
  /** Runs one command over a connection of its own and returns the raw reply. */
  command: (...args: string[]) => Promise<string>
  /** Stops it and removes its directory. */
  close: () => Promise<void>
}

/** Debian's redis-server, or REDIS_SERVER_PATH. Missing is a failure, not a skip: CI installs it (.ci/run). */
export function findRedisServer(): string {
  const candidates = [
    process.env.REDIS_SERVER_PATH,
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map(dir => path.join(dir, 'redis-server')),
    '/usr/bin/redis-server',
    '/usr/local/bin/redis-server',
  ].filter((file): file is string => !!file)
  const found = candidates.find(file => existsSync(file))
  if (!found)
    throw new Error('[live-assets] redis-server not found (REDIS_SERVER_PATH, PATH, /usr/bin): the Redis tests need a real one. Install it (Debian/Ubuntu: apt-get install -y redis-server) or set REDIS_SERVER_PATH.')
  return found
}

/**
 * Starts a Redis of its own on a free loopback port, from a temp directory: nothing of the machine's Redis is read or
 * written. Persistence is off unless `persist` (an append-only file synced on every write, so `stop()` and `start()`
 * keep every event: a Redis restarted with its data).
 */
export async function startRedis({ persist = false } = {}): Promise<RedisServer> {
  const binary = findRedisServer()
  const dir = await mkdtemp(path.join(tmpdir(), 'live-assets-redis-'))
  const port = await freePort()
  let child: ChildProcess | undefined
  let stderr = ''

  async function start({ empty = false } = {}): Promise<void> {
    if (empty)
      await rm(path.join(dir, 'appendonlydir'), { recursive: true, force: true })
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning', ...persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']]
    const started = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    child = started
    started.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr += chunk)
    let exited = false
    started.once('exit', () => exited = true)
    await poll(async () => exited || await command('PING').then(reply => reply === '+PONG', () => false), { what: `redis-server to answer on port ${port}`, timeout: 15_000 })
    if (exited)
      throw new Error(`[live-assets] redis-server exited at start: ${stderr}`)
  }

  async function end(signal: NodeJS.Signals): Promise<void> {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null || running.signalCode !== null)
      return
    const exited = new Promise(resolve => running.once('exit', resolve))
    running.kill('SIGCONT')
    running.kill(signal)
    await exited
  }

  /** One command over RESP on a connection of its own; the first line of the reply (or the whole bulk reply). */
  function command(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1')
      let reply = ''
      socket.setTimeout(5_000, () => socket.destroy(new Error('redis command timed out')))
      socket.on('connect', () => socket.write(`*${args.length}\r\n${args.map(arg => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`))
      socket.on('data', (chunk) => {
        reply += chunk
        const complete = reply.startsWith('$') ? /^\$-1\r\n|^\$(\d+)\r\n/.exec(reply) : /\r\n$/.exec(reply)
        if (!complete)
          return
        if (reply.startsWith('$') && reply !== '$-1\r\n') {
          const length = Number(complete[1])
          const start = complete[0].length
          if (Buffer.byteLength(reply) < start + length + 2)
            return
          reply = reply.slice(start, start + length)
        }
        socket.end()
        resolve(reply.replace(/\r\n$/, ''))
      })
      socket.on('error', reject)
    })
  }

  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async clients() {
      const list = await command('CLIENT', 'LIST')
      return list.split('\n').filter(line => line.includes('addr=') && !line.includes('cmd=client')).length
    },
    command,
    async close() {
      await end('SIGKILL')
      await rm(dir, { recursive: true, force: true })
    },
  }
}
