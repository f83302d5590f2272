import type { IncomingHttpHeaders } from 'node:http'
import type { Exit, NodeProcess } from '../utils/process'
import { request } from 'node:http'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { poll } from '../utils/poll'
import { spawnNode } from '../utils/process'

/** The built bin, run the way a user's shell runs it. */
export const CLI_BIN = fileURLToPath(new URL('../../packages/cli/dist/cli.mjs', import.meta.url))
export const PLAYGROUND = fileURLToPath(new URL('../../playground/backend', import.meta.url))

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

export interface CliProcess extends NodeProcess {
  /** e.g. `http://127.0.0.1:43121/__live_assets`, read from the printed tag. */
  endpoints: string
  port: number
  scriptTag: string
}

const SCRIPT_TAG = /<script src="(http:\/\/[^"]+)\/client\.js"><\/script>/

/** Runs `live-assets <args>` until it prints its script tag. */
export async function startCli(args: string[], cwd: string): Promise<CliProcess> {
  const cli = spawnNode(cwd, CLI_BIN, args)
  let exit: Exit | undefined
  void cli.exited.then((e) => {
    exit = e
  })
  await poll(() => SCRIPT_TAG.test(cli.output()) || exit !== undefined, { what: 'the CLI to print its script tag', timeout: 20_000 }).catch((error) => {
    cli.child.kill('SIGKILL')
    throw new Error(`${(error as Error).message}; it printed:\n${cli.output()}`)
  })
  if (exit)
    throw new Error(`the CLI exited (${JSON.stringify(exit)}) before it was ready; it printed:\n${cli.output()}`)

  const [scriptTag, endpoints] = SCRIPT_TAG.exec(cli.output())!
  return { ...cli, endpoints, port: Number(new URL(endpoints).port), scriptTag }
}

export interface Run extends Exit {
  stdout: string
  stderr: string
}

/** Runs `live-assets <args>` to completion, e.g. `--help` or a bad flag. */
export async function runCli(args: string[], cwd = PLAYGROUND): Promise<Run> {
  const cli = spawnNode(cwd, CLI_BIN, args)
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), 15_000)
  const exit = await cli.exited
  clearTimeout(timer)
  if (exit.signal === 'SIGKILL')
    throw new Error(`live-assets ${args.join(' ')} did not exit within 15 s; it printed:\n${cli.output()}`)
  return { ...exit, stdout: cli.stdout(), stderr: cli.stderr() }
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
