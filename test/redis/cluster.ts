import type { Stats } from '@live-assets/core'
import type { CliProcess } from '../backend/utils'
import type { HttpStream, TimedEvent } from '../reliability/stream'
import type { PageServer, Route } from '../utils/page-server'
import type { RedisServer } from '../utils/redis'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startCli } from '../backend/utils'
import { fetchRaw, openStream } from '../reliability/stream'
import { startPageServer } from '../utils/page-server'

/** The token every node of a cluster is started with: POST /publish on any of them needs it. */
export const TOKEN = 'shared-secret-token'
/** The log's stream key under the default `--redis` key prefix. */
export const LOG_KEY = '{live-assets}:log'

/**
 * A folder of stylesheets and pages, served by a page server on 127.0.0.1: `/css/app.css` styles `#app`, `/css/other.css`
 * styles `#other` (only a full refresh re-fetches it), and `/page?live=<origin>` is a page that loads the client from
 * the live-assets at `<origin>` (a node, or nginx in front of them).
 */
export interface Site {
  dir: string
  pages: PageServer
  /** The URL of a page whose client connects to `origin`. */
  pageFor: (origin: string) => string
  /** Rewrites `css/app.css` so that `#app` gets `rgb(0, 0, <blue>)`. */
  writeApp: (blue: number) => Promise<void>
  /** Re-fetches of `/css/<name>` by the client (its cache-busting `la` parameter): swaps of that sheet, all pages together. */
  refetches: (name: string) => number
  close: () => Promise<void>
}

export const appColor = (blue: number): string => `rgb(0, 0, ${blue})`

/** `/page?live=<origin>`: a page with both stylesheets whose client comes from `<origin>` (empty: the same origin). */
export const pageRoute: Route = (_req, res, url) => {
  if (url.pathname !== '/page')
    return false
  const live = url.searchParams.get('live') ?? ''
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
  res.end(`<!doctype html>
<html>
<head>
  <meta charset="utf-8">
  <link rel="stylesheet" href="/css/app.css">
  <link rel="stylesheet" href="/css/other.css">
  <script src="${live}/__live_assets/client.js"></script>
</head>
<body><div id="app">app</div><div id="other">other</div></body>
</html>`)
  return true
}

export async function startSite(): Promise<Site> {
  const dir = await mkdtemp(path.join(tmpdir(), 'live-assets-cluster-'))
  await mkdir(path.join(dir, 'css'))
  const writeApp = (blue: number): Promise<void> => writeFile(path.join(dir, 'css', 'app.css'), `#app { color: ${appColor(blue)}; }\n`)
  await writeApp(0)
  await writeFile(path.join(dir, 'css', 'other.css'), '#other { color: rgb(0, 128, 0); }\n')
  const pages = await startPageServer({ root: dir })
  pages.route(pageRoute)
  return {
    dir,
    pages,
    pageFor: origin => `${pages.url}/page?live=${encodeURIComponent(origin)}`,
    writeApp,
    refetches: name => pages.requests.filter(r => r.path === `/css/${name}` && r.search.has('la')).length,
    async close() {
      await pages.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export interface LiveNode extends CliProcess {
  /** e.g. `http://127.0.0.1:43121`. */
  origin: string
}

/**
 * Starts the built CLI in `site.dir`, watching its stylesheets, on a free port, sharing the log of `redis` and the
 * cluster's token. `extra` is appended to the flags (e.g. `--heartbeat 500`).
 */
export async function startNode(site: Site, redis: RedisServer, extra: string[] = []): Promise<LiveNode> {
  const cli = await startCli(['--watch', 'css/*.css', '--url-base', '/css', '--port', '0', '--redis', redis.url, '--token', TOKEN, ...extra], site.dir)
  return { ...cli, origin: new URL(cli.endpoints).origin }
}

/** POST /publish with the cluster's token; resolves with the event's id. */
export async function publish(origin: string, event: string, data: unknown): Promise<string> {
  const answer = await fetchRaw(`${origin}/__live_assets/publish`, {
    method: 'POST',
    headers: { 'Authorization': `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ event, data }),
  })
  if (answer.status !== 200)
    throw new Error(`publish on ${origin} answered ${answer.status}: ${answer.body}`)
  return (JSON.parse(answer.body) as { id: string }).id
}

export async function stats(origin: string): Promise<Stats> {
  const answer = await fetchRaw(`${origin}/__live_assets/stats`)
  if (answer.status !== 200)
    throw new Error(`stats of ${origin} answered ${answer.status}: ${answer.body}`)
  return JSON.parse(answer.body) as Stats
}

export interface LogEntry {
  /** `0-<seq>`, as the stream holds it. */
  id: string
  event: string
  data: string
}

/** Every entry of the shared log, read straight from Redis (one Lua call that returns the stream as JSON). */
export async function readLog(redis: RedisServer): Promise<LogEntry[]> {
  const script = `local out = {}
for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local fields = {}
  for i = 1, #entry[2], 2 do fields[entry[2][i]] = entry[2][i + 1] end
  out[#out + 1] = { id = entry[1], event = fields.e, data = fields.d }
end
if #out == 0 then return '[]' end
return cjson.encode(out)`
  return JSON.parse(await redis.command('EVAL', script, '1', LOG_KEY)) as LogEntry[]
}

/** A reader that reconnects the way EventSource does: with `Last-Event-ID` of the last id it saw. */
export interface FollowedStream {
  /** Every event of every connection, in order. */
  readonly events: TimedEvent[]
  /** How many connections answered 200. */
  connections: () => number
  /** Whether a connection is open now. */
  open: () => boolean
  close: () => void
}

/** Follows `url` across broken connections, retrying every `retryMs` (at most `maxAttempts` failed attempts in a row). */
export function followStream(url: string, { retryMs = 50, maxAttempts = 400 } = {}): FollowedStream {
  const streams: HttpStream[] = []
  let current: HttpStream | undefined
  let failures = 0
  let closed = false
  const all = (): TimedEvent[] => streams.flatMap(stream => stream.events)

  function again(): void {
    current = undefined
    if (closed || ++failures > maxAttempts)
      return
    setTimeout(connect, retryMs)
  }

  function connect(): void {
    if (closed)
      return
    const lastId = all().filter(event => event.id).at(-1)?.id
    openStream(url, lastId === undefined ? {} : { 'Last-Event-ID': lastId }).then((stream) => {
      if (stream.status !== 200 || closed) {
        stream.close()
        return again()
      }
      streams.push(stream)
      current = stream
      failures = 0
      stream.res.on('close', again)
    }, again)
  }

  connect()
  return {
    get events() {
      return all()
    },
    connections: () => streams.length,
    open: () => current !== undefined,
    close() {
      closed = true
      current?.close()
    },
  }
}

/** The events named `name` of a stream, in order. */
export function named(events: { event?: string }[], name: string): TimedEvent[] {
  return (events as TimedEvent[]).filter(event => event.event === name)
}
