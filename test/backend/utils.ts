import type { ChildProcess } from 'node:child_process'
import type { IncomingHttpHeaders } from 'node:http'
import { spawn } from 'node:child_process'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import process from 'node:process'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** The built bin, run the way a user's shell runs it. */
export const CLI_BIN = fileURLToPath(new URL('../../packages/cli/dist/cli.mjs', import.meta.url))
export const PLAYGROUND = fileURLToPath(new URL('../../playground/backend', import.meta.url))

/** Polls until `predicate` holds; fails after `timeoutMs` saying what it waited for. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** A temp copy of the backend playground, without node_modules, so tests can edit its files. */
export async function copyPlayground(): Promise<{ dir: string, remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'live-assets-backend-'))
  await cp(PLAYGROUND, dir, { recursive: true, filter: source => !source.includes(`${path.sep}node_modules`) })
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

/** The playground's page server (playground/backend/app.js), loaded from a temp copy. */
export interface App {
  url: string
  setLiveAssetsTag: (tag: string) => void
  requests: string[]
  close: () => Promise<void>
}

export async function startApp(dir: string, fingerprint?: 'propshaft' | 'sprockets' | 'query'): Promise<App> {
  const module = await import(pathToFileURL(path.join(dir, 'app.js')).href) as { startApp: (options: { dir: string, port: number, fingerprint?: string }) => Promise<App> }
  return module.startApp({ dir, port: 0, fingerprint })
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface CliProcess {
  child: ChildProcess
  /** Everything printed so far, stdout and stderr interleaved. */
  output: () => string
  /** e.g. `http://127.0.0.1:43121/__live_assets`, read from the printed tag. */
  endpoints: string
  port: number
  scriptTag: string
  exited: Promise<Exit>
  /** Sends `signal` and resolves with the exit and how long it took. */
  stop: (signal?: NodeJS.Signals) => Promise<Exit & { ms: number }>
}

const SCRIPT_TAG = /<script src="(http:\/\/[^"]+)\/client\.js"><\/script>/
const running = new Set<ChildProcess>()

/** Runs `live-assets <args>` until it prints its script tag. */
export async function startCli(args: string[], cwd: string): Promise<CliProcess> {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  let output = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  const exited = new Promise<Exit>(resolve => child.once('exit', (code, signal) => {
    running.delete(child)
    resolve({ code, signal })
  }))

  let exit: Exit | undefined
  void exited.then((e) => {
    exit = e
  })
  await waitFor(() => SCRIPT_TAG.test(output) || exit !== undefined, 'the CLI to print its script tag', 20_000).catch((error) => {
    child.kill('SIGKILL')
    throw new Error(`${(error as Error).message}; it printed:\n${output}`)
  })
  if (exit)
    throw new Error(`the CLI exited (${JSON.stringify(exit)}) before it was ready; it printed:\n${output}`)

  const [scriptTag, endpoints] = SCRIPT_TAG.exec(output)!
  return {
    child,
    output: () => output,
    endpoints,
    port: Number(new URL(endpoints).port),
    scriptTag,
    exited,
    async stop(signal = 'SIGTERM') {
      const started = Date.now()
      child.kill(signal)
      const result = await exited
      return { ...result, ms: Date.now() - started }
    },
  }
}

/** Kills whatever a failed test left running. */
export function killAll(): void {
  for (const child of running)
    child.kill('SIGKILL')
}

export interface Run extends Exit {
  stdout: string
  stderr: string
}

/** Runs `live-assets <args>` to completion, e.g. `--help` or a bad flag. */
export function runCli(args: string[], cwd = PLAYGROUND): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`live-assets ${args.join(' ')} did not exit within 15 s; it printed:\n${stdout}${stderr}`))
    }, 15_000)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/**
 * One GET with the headers we choose (fetch would not send `Origin`); reads `maxBytes` of the body at most,
 * so that an event stream that was let in answers too.
 */
export function get(url: string, headers: Record<string, string> = {}, maxBytes = 64 * 1024): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = ''
      const done = (): void => {
        resolve({ status: res.statusCode!, headers: res.headers, body })
        req.destroy()
      }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
        if (body.length >= maxBytes || (res.headers['content-type']?.startsWith('text/event-stream') && body.includes('event: hello')))
          done()
      })
      res.on('end', done)
      res.on('error', () => {})
    })
    req.on('error', reject)
    req.end()
  })
}

export interface Stats {
  subscribers: number
  peakSubscribers: number
  eventsPublished: number
  epoch: string
}

export async function stats(endpoints: string): Promise<Stats> {
  const answer = await get(`${endpoints}/stats`)
  if (answer.status !== 200)
    throw new Error(`stats answered ${answer.status}: ${answer.body}`)
  return JSON.parse(answer.body) as Stats
}

/** Opens an event stream from Node and keeps it open: a page the server must end on shutdown. */
export function openStream(url: string): Promise<{ close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      res.on('data', () => {})
      res.on('error', () => {})
      resolve({ close: () => req.destroy() })
    })
    req.on('error', reject)
    req.end()
  })
}
