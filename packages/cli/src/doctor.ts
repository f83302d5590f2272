import type { Buffer } from 'node:buffer'
import type { IncomingHttpHeaders } from 'node:http2'
import type { CliOptions } from './args'
import type { CliOutput } from './logger'
import { existsSync, watch } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { connect as http2Connect } from 'node:http2'
import { request as httpsRequest } from 'node:https'
import path from 'node:path'
import process from 'node:process'
import { connect as tlsConnect } from 'node:tls'
import { DEFAULT_BASE, fileToUrlPath, globBase, listWatchedFiles, ROUTES, watchMount } from '@live-assets/core'
import { EXAMPLE } from './args'
import { unreliableFileSystem } from './filesystems'
import { processOutput } from './logger'

export type Verdict = 'ok' | 'warning' | 'problem'

export interface Finding {
  verdict: Verdict
  message: string
}

export interface DoctorRunOptions {
  /** Directory that relative globs are resolved against. @default process.cwd() */
  cwd?: string
  output?: CliOutput
  /** How long the first event may take through the page's URL: longer means a proxy holds it back. @default 1000 */
  eventWithinMs?: number
}

const LABELS: Record<Verdict, string> = { ok: 'ok      ', warning: 'warning ', problem: 'problem ' }

/**
 * `live-assets doctor [page-url] [flags]`: checks the setup the flags describe, the way a page of it would use it,
 * and says for each problem what to do. Reads only, except one temporary file written and removed in a watched folder.
 * @returns every finding, in the order printed; the command exits with 1 when one is a problem
 */
export async function runDoctor(options: CliOptions, pageUrl: string | undefined, { cwd = process.cwd(), output = processOutput, eventWithinMs = 1000 }: DoctorRunOptions = {}): Promise<Finding[]> {
  const findings: Finding[] = []
  const say = (verdict: Verdict, message: string): void => {
    findings.push({ verdict, message })
    output.out(`[live-assets] ${LABELS[verdict]}${message}\n`)
  }
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host.includes(':') ? `[${options.host}]` : options.host
  const direct = `http://${host}:${options.port}${DEFAULT_BASE}`

  const page = pageUrl ? await loadPage(pageUrl, say) : undefined
  // The server the page really uses (a dev server's, or the CLI's through a proxy); else the one the flags name.
  const client = page?.clients[0]
  const endpoints = client ? client.href.replace(/\/client\.js(?:[?#].*)?$/, '') : direct
  const up = await checkServer(endpoints, say)
  if (page) {
    if (client)
      await checkClient(page, client, up, options.token, eventWithinMs, say)
    else
      sayNoClient(page, direct, say)
    if (options.watch.length)
      await checkLinkedSheets(page.html, page.url, options, cwd, say)
  }
  if (options.watch.length)
    await checkFiles(options, cwd, say)
  if (!pageUrl || !options.watch.length)
    say('warning', `for a full check, give the page's URL and the flags you start live-assets with: live-assets doctor http://localhost:3000/ ${EXAMPLE.replace('live-assets ', '')}`)
  return findings
}

type Say = (verdict: Verdict, message: string) => void

async function checkServer(endpoints: string, say: Say): Promise<boolean> {
  const origin = new URL(endpoints).origin
  let stats: { version?: string, subscribers?: number }
  try {
    stats = JSON.parse((await get(`${endpoints}${ROUTES.stats}`)).body) as typeof stats
  }
  catch (error) {
    say('problem', `no live-assets server answers at ${endpoints}${ROUTES.stats} (${reason(error)}): start live-assets in your project (${EXAMPLE}), or pass the --port and --host it runs with.`)
    return false
  }
  say('ok', `the live-assets server at ${origin} answers (live-assets ${stats.version}, ${stats.subscribers} page${stats.subscribers === 1 ? '' : 's'} connected).`)
  // What it accepts, read from what it answers: a page on another loopback port, and on a name that is not one.
  // A *.localhost name: never one of --origin's loopback aliases (localhost, 127.0.0.1, [::1] on the same port).
  const loopback = await headStatus(`${endpoints}${ROUTES.events}`, { Origin: 'http://live-assets-doctor.localhost:9' })
  say('ok', loopback === 200
    ? 'it accepts pages on loopback origins (localhost, *.localhost, 127.0.0.1, [::1], any port) and those of --origin.'
    : 'it accepts only the pages of its --origin flags (--no-loopback-origins).')
  return true
}

interface Page {
  /** After redirects. */
  url: string
  html: string
  /** The `src` of each `<script>` that loads the client, resolved. */
  clients: URL[]
}

async function loadPage(pageUrl: string, say: Say): Promise<Page | undefined> {
  let answer: Answer
  try {
    answer = await get(pageUrl, { headers: { Accept: 'text/html' }, timeoutMs: 5000 })
  }
  catch (error) {
    return void say('problem', `could not load the page at ${pageUrl} (${reason(error)}): is your app's server running at that URL?`)
  }
  if (answer.status !== 200)
    return void say('problem', `the page answers ${answer.status} at ${answer.url}: open it in the browser first; doctor checks a page that loads.`)
  const clients = [...answer.body.matchAll(/<script\s(?:[^>]*\s)?src\s*=\s*["']?([^"'\s>]*\/__live_assets\/client\.js[^"'\s>]*)/gi)].map(match => new URL(match[1], answer.url))
  return { url: answer.url, html: answer.body, clients }
}

function sayNoClient(page: Page, direct: string, say: Say): void {
  const title = /<title[^>]*>([^<]*)</i.exec(page.html)?.[1]?.trim()
  say('problem', `the page at ${page.url}${title ? ` ("${title}")` : ''} does not load the live-assets client: add <script src="${direct}${ROUTES.client}"></script> to its layout, in development only. A proxy or tunnel that shows a page of its own first (a browser warning, a login) must let the page through.`)
}

async function checkClient(page: Page, client: URL, serverUp: boolean, token: string | undefined, eventWithinMs: number, say: Say): Promise<void> {
  const more = page.clients.length - 1
  say('ok', `the page loads the client from ${client.href}${more ? ` (and ${more} more tag${more > 1 ? 's' : ''}: one is enough)` : ''}.`)
  const eventsUrl = new URL(client.href.replace(/client\.js(?:[?#].*)?$/, 'events'))
  if (new URL(page.url).protocol === 'https:' && eventsUrl.protocol === 'http:') {
    const loopback = /^(?:localhost|127\.0\.0\.1|\[::1\])$/.test(eventsUrl.hostname)
    say(loopback ? 'warning' : 'problem', `the page is on HTTPS and the client on HTTP (${eventsUrl.origin}): ${loopback ? 'Chromium and Firefox allow it for a loopback address, Safari blocks it' : 'browsers block it as mixed content'}. Serve live-assets through the page's own HTTPS origin (a proxy location for /__live_assets/).`)
  }
  if (serverUp)
    await checkStream(eventsUrl, new URL(page.url).origin, token, eventsUrl.href.replace(/\/events$/, ''), eventWithinMs, say)
}

interface StreamProbe {
  status: number
  headers: IncomingHttpHeaders
  protocol: string
  /** From the response's headers to the first `event:` line, or to the `doctor` event when one was published. */
  eventMs?: number
  body: string
  error?: string
}

async function checkStream(url: URL, pageOrigin: string, token: string | undefined, endpoints: string, withinMs: number, say: Say): Promise<void> {
  const origin = url.origin === pageOrigin ? undefined : pageOrigin
  // With the token, the event that must come through is one published now; without, the `hello` sent at once.
  const publish = token
    ? () => get(`${endpoints}${ROUTES.publish}`, { method: 'POST', headers: { 'Authorization': `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{"event":"doctor","data":{}}' }).then(() => undefined, () => undefined)
    : undefined
  const probe = await probeStream(url, origin, withinMs + 2000, publish)
  const where = `through ${url.href}`
  if (probe.error)
    return say('problem', probe.error)
  const buffered = (detail: string): void => say('problem', `${token ? 'an event published by doctor' : 'the first event'} did not arrive within ${withinMs} ms ${where} (${detail}), while live-assets sends it at once: a proxy or tunnel buffers the stream. nginx: proxy_buffering off for location /__live_assets/ (and do not ignore X-Accel-Buffering); other proxies and tunnels: turn response buffering off for that path.`)
  if (probe.status === 0)
    return buffered('not even the response headers came')
  if (probe.status === 403) {
    return say('problem', /origin/.test(probe.body)
      ? `the live server refuses pages from ${pageOrigin}: start live-assets with --origin ${pageOrigin}.`
      : `the stream is refused ${where} (${probe.body.trim() || 403}): if the page reaches live-assets under another host name, start it with --allowed-host ${url.hostname}.`)
  }
  if (probe.status !== 200)
    return say('problem', `the stream answers ${probe.status} ${where}: ${probe.body.trim().slice(0, 120) || 'no body'}. Something in between answers instead of live-assets: make it pass /__live_assets/ through.`)
  const type = String(probe.headers['content-type'] ?? '')
  if (!type.startsWith('text/event-stream'))
    return say('problem', `the stream comes back as ${type || 'no content type'} ${where}, not text/event-stream: something in between (a tunnel's page, a proxy's error page) answers instead of live-assets.`)
  const encoding = probe.headers['content-encoding']
  if (encoding) {
    say('problem', `the stream is compressed (${encoding}) ${where}: a compressing proxy holds events back until its buffer fills. Turn compression off for /__live_assets/events (nginx: gzip off; express: skip text/event-stream in compression()).`)
  }
  if (probe.eventMs === undefined || probe.eventMs > withinMs)
    return buffered(probe.eventMs === undefined ? 'the headers came, no event' : `it took ${probe.eventMs} ms`)
  say('ok', `${token ? 'an event published by doctor' : 'the first event'} arrived ${where} in ${probe.eventMs} ms, as ${type} over ${probe.protocol}${encoding ? '' : ', uncompressed'}.`)
}

/** Opens the stream once, as a page would (HTTP/2 where the server offers it), and reads until the event it waits for. */
async function probeStream(url: URL, origin: string | undefined, timeoutMs: number, publish?: () => Promise<void>): Promise<StreamProbe> {
  const headers: Record<string, string> = { 'Accept': 'text/event-stream', 'Accept-Encoding': 'gzip, deflate, br', ...(origin ? { Origin: origin } : {}) }
  const wanted = publish ? /(?:^|\n)event: doctor\n/ : /(?:^|\n)event: /
  const h2 = url.protocol === 'https:' && await offersHttp2(url)
  return new Promise<StreamProbe>((resolve) => {
    let body = ''
    let headersAt = 0
    let code = 0
    let received: IncomingHttpHeaders = {}
    let result: StreamProbe | undefined
    let close = (): void => {}
    let timer: ReturnType<typeof setTimeout> | undefined
    const finish = (probe: Partial<StreamProbe>): void => {
      if (result)
        return
      result = { status: 0, headers: {}, protocol: h2 ? 'HTTP/2' : 'HTTP/1.1', body, ...probe }
      clearTimeout(timer)
      close()
      resolve(result)
    }
    timer = setTimeout(() => finish({ status: code, headers: received }), timeoutMs)
    const onHeaders = (statusCode: number, responseHeaders: IncomingHttpHeaders): void => {
      code = statusCode
      received = responseHeaders
      headersAt = performance.now()
      if (statusCode === 200 && String(responseHeaders['content-type']).startsWith('text/event-stream'))
        void publish?.()
    }
    const onData = (chunk: Buffer): void => {
      body += chunk.toString('latin1')
      if (code !== 200 || wanted.test(body))
        finish({ status: code, headers: received, eventMs: code === 200 ? Math.round(performance.now() - headersAt) : undefined })
    }
    const onEnd = (): void => finish({ status: code, headers: received })
    if (h2) {
      const session = http2Connect(url.origin, { rejectUnauthorized: false })
      close = () => session.destroy()
      session.on('error', error => finish({ error: `the stream over HTTP/2 fails at ${url.href} (${reason(error)}).` }))
      const stream = session.request({ ':path': `${url.pathname}${url.search}`, ...headers })
      stream.on('response', responseHeaders => onHeaders(Number(responseHeaders[':status']), responseHeaders))
      stream.on('data', onData)
      stream.on('end', onEnd)
      // Connection, Keep-Alive or Transfer-Encoding in an HTTP/2 answer: nghttp2 refuses it, as browsers do.
      stream.on('error', error => finish({ error: `the stream over HTTP/2 fails at ${url.href} (${reason(error)}): something in between sends HTTP/1-only headers (Connection, Keep-Alive, Transfer-Encoding), which browsers refuse over HTTP/2. Make the proxy drop them for /__live_assets/.` }))
      return
    }
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { headers, rejectUnauthorized: false }, (response) => {
      onHeaders(response.statusCode ?? 0, response.headers)
      response.on('data', onData)
      response.on('end', onEnd)
    })
    close = () => request.destroy()
    request.on('error', error => finish({ error: `could not open the stream at ${url.href} (${reason(error)}).` }))
    request.end()
  })
}

/** Whether an HTTPS server picks HTTP/2 when offered, as a browser would see it. */
function offersHttp2(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 443), servername: url.hostname, ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: false }, () => {
      resolve(socket.alpnProtocol === 'h2')
      socket.destroy()
    })
    socket.on('error', () => resolve(false))
  })
}

/** The stylesheets the page links, against the files the flags watch: a page that links builds/ while src/ is watched. */
async function checkLinkedSheets(html: string, pageUrl: string, options: CliOptions, cwd: string, say: Say): Promise<void> {
  const links = [...html.matchAll(/<link\b[^>]*>/gi)]
    .map(match => match[0])
    .filter(tag => /\brel\s*=(?:\s*["'])?[^"'>]*\bstylesheet\b/i.test(tag))
    .map(tag => /\bhref\s*=\s*["']?([^"'\s>]+)/i.exec(tag)?.[1])
    .filter((href): href is string => href !== undefined)
    .map(href => new URL(href, pageUrl).pathname)
  if (links.length === 0)
    return say('warning', `the page links no stylesheet with <link rel="stylesheet">: live-assets swaps linked sheets (and what they @import).`)
  const { root, urlBase } = watchMount({ paths: options.watch, root: options.root, urlBase: options.urlBase }, cwd)
  const watched = (await listWatchedFiles(options.watch, cwd)).map(file => fileToUrlPath(file, root, urlBase))
  const name = (urlPath: string): string => urlPath.slice(urlPath.lastIndexOf('/') + 1)
  const names = new Set(watched.map(name))
  const missing = links.filter(link => !names.has(name(link)))
  if (missing.length === 0)
    return say('ok', `every stylesheet the page links is a watched file: ${links.join(', ')}.`)
  const elsewhere = (await listWatchedFiles(missing.map(link => `**/${decodeURIComponent(name(link))}`), cwd))[0]
  const hint = elsewhere
    ? ` It is at ${path.relative(cwd, elsewhere)}: watch that folder, e.g. --watch "${path.relative(cwd, path.dirname(elsewhere))}/**/*.css" --url-base ${path.posix.dirname(missing[0])}.`
    : ' Watch the files the page really loads (the built ones, not their sources).'
  say(missing.length === links.length ? 'problem' : 'warning', `the page links ${missing.join(', ')}, which no --watch file is (watched: ${options.watch.join(', ')}).${hint}`)
}

/** Do the globs match anything, and do file events come through where they look? */
async function checkFiles(options: CliOptions, cwd: string, say: Say): Promise<void> {
  for (const glob of options.watch) {
    const count = (await listWatchedFiles([glob], cwd)).length
    if (count === 0)
      say('problem', `--watch "${glob}" matches no file under ${cwd}: check the path (relative to where you start live-assets) and quote the glob.`)
    else
      say('ok', `--watch "${glob}" matches ${count} file${count === 1 ? '' : 's'}.`)
  }
  const folder = globBase(options.watch[0], cwd)
  if (!existsSync(folder))
    return
  const type = unreliableFileSystem(folder)
  if (type) {
    say(options.poll === false ? 'problem' : 'ok', `${path.relative(cwd, folder) || '.'} is on a ${type} file system (a WSL, container or network share), where edits made on the other side send no file event: ${options.poll === false ? 'drop --no-poll, so live-assets polls there' : 'live-assets polls there'}.`)
    return
  }
  if (options.poll)
    return
  const probe = path.join(folder, `.live-assets-doctor-${process.pid}.tmp`)
  const error = await fileEventArrives(folder, probe)
  if (error)
    say('problem', `a file written in ${path.relative(cwd, folder) || '.'} sent no file event${error === true ? ' within 2 s' : ` (${error})`}: start live-assets with --poll.`)
  else
    say('ok', `file events come through in ${path.relative(cwd, folder) || '.'}.`)
}

/** Writes and removes `file` while watching its folder: undefined when the event came, else what went wrong. */
async function fileEventArrives(folder: string, file: string): Promise<true | string | undefined> {
  let watcher: ReturnType<typeof watch> | undefined
  try {
    const seen = new Promise<undefined>((resolve, reject) => {
      watcher = watch(folder, (_, name) => name === path.basename(file) && resolve(undefined))
      watcher.on('error', reject)
    })
    await writeFile(file, 'live-assets doctor\n')
    const timeout = new Promise<true>(resolve => setTimeout(resolve, 2000, true).unref())
    return await Promise.race([seen, timeout])
  }
  catch (error) {
    return reason(error)
  }
  finally {
    watcher?.close()
    await rm(file, { force: true })
  }
}

async function headStatus(url: string, headers: Record<string, string>): Promise<number> {
  return (await get(url, { method: 'HEAD', headers }).catch(() => undefined))?.status ?? 0
}

interface Answer {
  /** After redirects. */
  url: string
  status: number
  body: string
}

/**
 * One request over HTTP/1.1, redirects followed. Certificates are not checked: dev servers use their own, and
 * doctor only reads what a developer's browser would be shown anyway.
 */
function get(url: string, { method = 'GET', headers = {}, body, timeoutMs = 2000, redirects = 5 }: { method?: string, headers?: Record<string, string>, body?: string, timeoutMs?: number, redirects?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url)
    const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, { method, headers, rejectUnauthorized: false, timeout: timeoutMs }, (response) => {
      const location = response.headers.location
      if (location && redirects > 0 && [301, 302, 303, 307, 308].includes(response.statusCode ?? 0)) {
        response.resume()
        return resolve(get(new URL(location, target).href, { method, headers, body, timeoutMs, redirects: redirects - 1 }))
      }
      let text = ''
      response.setEncoding('utf8').on('data', (chunk: string) => text += chunk)
      response.on('end', () => resolve({ url: target.href, status: response.statusCode ?? 0, body: text }))
    })
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    request.on('error', reject)
    request.end(body)
  })
}

function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string, message?: string } })?.cause
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error))
}
