import type { EventSourceMessage } from 'eventsource-parser'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { LiveServer, LiveServerOptions } from '../src'
import { utimes, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { createParser } from 'eventsource-parser'
import { afterEach } from 'vitest'
import { createLiveServer, silentLogger } from '../src'

/** Writes a file that was there before a watcher started: saved a minute ago (one saved as it starts is reported). */
export async function writeExisting(file: string, content: string): Promise<void> {
  await writeFile(file, content)
  const minuteAgo = new Date(Date.now() - 60_000)
  await utimes(file, minuteAgo, minuteAgo)
}

/** Polls until `predicate` holds; fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

export interface Stream {
  res: IncomingMessage
  events: EventSourceMessage[]
  retry: number | undefined
  raw: string
  close: () => void
}

/** Opens a real SSE stream and parses it as a browser would. */
export function openStream(url: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
      const stream: Stream = { res, events: [], retry: undefined, raw: '', close: () => req.destroy() }
      const parser = createParser({
        onEvent: event => stream.events.push(event),
        onRetry: (ms) => { stream.retry = ms },
      })
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        stream.raw += chunk
        parser.feed(chunk)
      })
      res.on('error', () => {})
      resolve(stream)
    })
    req.on('error', reject)
    req.end()
  })
}

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** One plain request; reads the whole body. */
export function fetchRaw(url: string, init: { method?: string, headers?: Record<string, string>, body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end(init.body)
  })
}

/**
 * `start(options)` for silent standalone servers on a free port, all closed after each test (or earlier, by
 * `start.closeAll()`, when something must happen after they are closed).
 */
export function useLiveServers(): ((options?: LiveServerOptions) => Promise<LiveServer>) & { closeAll: () => Promise<void> } {
  const servers: LiveServer[] = []
  const closeAll = async (): Promise<void> => {
    await Promise.all(servers.splice(0).map(s => s.close()))
  }
  afterEach(closeAll)
  const start = async (options: LiveServerOptions = {}): Promise<LiveServer> => {
    const server = await createLiveServer({ port: 0, logger: silentLogger, ...options })
    servers.push(server)
    return server
  }
  return Object.assign(start, { closeAll })
}
