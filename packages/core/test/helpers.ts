import type { EventSourceMessage } from 'eventsource-parser'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { request } from 'node:http'
import { createParser } from 'eventsource-parser'

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
