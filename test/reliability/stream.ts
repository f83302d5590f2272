import type { EventSourceMessage } from 'eventsource-parser'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { existsSync, readFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import { createParser } from 'eventsource-parser'
import { poll } from '../utils/poll'

const DECODERS: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
}

export interface TimedEvent extends EventSourceMessage {
  /** `performance.now()` when the event was parsed. */
  at: number
}

export interface Stream {
  status: number
  headers: IncomingHttpHeaders
  events: TimedEvent[]
  /** `performance.now()` when the response ended or broke, if it did. */
  endedAt?: number
  close: () => void
}

/** A stream over HTTP/1.1, with its response and the decoded text so far. */
export interface HttpStream extends Stream {
  res: IncomingMessage
  raw: string
}

/** An SSE stream read the way a browser reads it (decompressed when the server compressed it), each event timed. */
export function openStream(url: string, headers: Record<string, string> = {}): Promise<HttpStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
      const stream: HttpStream = { status: res.statusCode!, headers: res.headers, res, events: [], raw: '', close: () => req.destroy() }
      const parser = createParser({ onEvent: event => stream.events.push({ ...event, at: performance.now() }) })
      const decoder = DECODERS[res.headers['content-encoding'] ?? '']
      const body = decoder ? res.pipe(decoder()) : res
      body.setEncoding('utf8')
      body.on('data', (chunk: string) => {
        stream.raw += chunk
        parser.feed(chunk)
      })
      const end = (): void => void (stream.endedAt ??= performance.now())
      body.on('end', end)
      res.on('close', end)
      body.on('error', () => {})
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

/** One plain request without a keep-alive agent; reads the whole body. */
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
 * Publishes `count` events named `probe`, one after the other, and returns how long each took from publish to
 * parsed at the reader. One at a time, so that a buffering hop shows as a stuck event rather than a batch.
 */
export async function measureLatency(stream: Stream, publish: (event: string, data: unknown) => void, count = 50, timeoutMs = 5000): Promise<number[]> {
  const latencies: number[] = []
  for (let n = 0; n < count; n++) {
    const sentAt = performance.now()
    publish('probe', { n })
    let found: TimedEvent | undefined
    await poll(() => (found = stream.events.find(e => e.event === 'probe' && JSON.parse(e.data).n === n)) !== undefined, { what: `probe ${n} to arrive`, timeout: timeoutMs })
    latencies.push(found!.at - sentAt)
  }
  return latencies
}

/** min / median / p95 / max, for the report. */
export function summary(values: number[], unit = 'ms'): string {
  const sorted = [...values].sort((a, b) => a - b)
  return `min ${format(sorted[0])} ${unit}, median ${format(quantile(sorted, 0.5))} ${unit}, p95 ${format(quantile(sorted, 0.95))} ${unit}, max ${format(sorted.at(-1)!)} ${unit}`
}

/** `q`-quantile of already sorted values. */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

function format(value: number): string {
  return value < 10 ? value.toFixed(1) : value.toFixed(0)
}

/** A port that was free a moment ago, for programs that cannot be told to pick one themselves. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** Addresses the kernel lists as listening on `port` (Linux /proc/net/tcp and tcp6; empty elsewhere). */
export function boundAddresses(port: number): string[] {
  const found: string[] = []
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file))
      continue
    for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/)
      const [address, hexPort] = local.split(':')
      if (state !== '0A' || Number.parseInt(hexPort, 16) !== port)
        continue
      found.push(address.length === 8
        ? address.match(/../g)!.reverse().map(byte => Number.parseInt(byte, 16)).join('.')
        : /^0{32}$/.test(address) ? '::' : address === '00000000000000000000000001000000' ? '::1' : address)
    }
  }
  return found
}
