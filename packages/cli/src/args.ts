import type { FallbackMode } from '@live-assets/core/protocol'
import type { Flag } from './flags'
import { parseArgs } from 'node:util'
import { DEFAULT_PORT } from '@live-assets/core'
import { FLAGS } from './flags'

/** What the command line asked for, validated; see `toServerOptions()` for what the server gets. */
export interface CliOptions {
  /** `--watch` globs, as given. */
  watch: string[]
  /** `--reload` globs, as given. */
  reload: string[]
  root?: string
  /** `--url-base`: URL path of the files of `root`, starting with `/`, without a trailing slash unless it is `/`. */
  urlBase: string
  /** Page origins such as `http://myapp.test`, besides the loopback ones. */
  origins: string[]
  /** Whether every loopback origin may open the stream (`--no-loopback-origins` turns it off). */
  loopbackOrigins: boolean
  port: number
  host: string
  allowedHosts: string[]
  strictPort: boolean
  heartbeatMs?: number
  /** `--poll` / `--no-poll`; undefined: poll where native events are unreliable (WSL, container shares). */
  poll?: boolean
  debounceMs?: number
  token?: string
  /** `--redis <url>`: the Redis whose event log this process shares. */
  redis?: string
  fallback: FallbackMode
  overlay: boolean
  debug: boolean
}

export type CliCommand
  = | { command: 'help' }
    | { command: 'version' }
    /** `warnings`: what the line asked for in a deprecated way, one message each, to print before starting. */
    | { command: 'start', options: CliOptions, warnings: string[] }
    /** `live-assets doctor [page-url] [flags]`: the same flags, describing the setup to check; `--watch` optional. */
    | { command: 'doctor', options: CliOptions, pageUrl?: string, warnings: string[] }

/** A mistake on the command line: the message says what is wrong and what to type instead. */
export class UsageError extends Error {
  override name = 'UsageError'
}

const FALLBACKS: FallbackMode[] = ['stylesheets', 'page', 'none']
export const EXAMPLE = 'live-assets --watch "app/assets/**/*.css" --url-base /assets'

type Values = Record<string, string | boolean | string[] | undefined>

/** Parses `process.argv.slice(2)`. Throws a {@link UsageError} for anything it cannot make sense of. */
export function parseCliArgs(argv: string[]): CliCommand {
  const doctor = argv[0] === 'doctor'
  const { tokens } = parseArgs({
    args: doctor ? argv.slice(1) : argv,
    // Not strict: unknown flags and stray values come back as tokens, so the messages can be ours.
    strict: false,
    allowPositionals: true,
    allowNegative: true,
    tokens: true,
    options: Object.fromEntries(FLAGS.flatMap(flag => [
      [flag.name, flag.short ? { type: flag.type, short: flag.short } : { type: flag.type }],
      ...(flag.deprecatedName ? [[flag.deprecatedName, { type: flag.type }]] : []),
    ])),
  })

  // Asking for help never fails, whatever else the line holds.
  for (const command of ['help', 'version'] as const) {
    if (tokens.some(token => token.kind === 'option' && token.name === command))
      return { command }
  }

  const values: Values = {}
  const warnings: string[] = []
  /** How each flag was written (`--base` for `url-base`), for messages about its value. */
  const written: Record<string, string> = {}
  const positionals: { value: string, afterGlob: boolean }[] = []
  for (const [i, token] of tokens.entries()) {
    if (token.kind === 'positional') {
      const previous = tokens[i - 1]
      // An unquoted glob is expanded by the shell into many arguments; only the first follows --watch.
      const afterGlob = previous?.kind === 'option' && ['watch', 'reload'].includes(previous.name) && !previous.inlineValue
      positionals.push({ value: token.value, afterGlob })
      continue
    }
    if (token.kind !== 'option')
      continue
    const flag = FLAGS.find(f => f.name === token.name || f.deprecatedName === token.name)
    if (!flag) {
      if (FLAGS.some(f => f.type === 'boolean' && `no-${f.name}` === token.name))
        throw new UsageError(`${token.rawName} takes no value; got ${JSON.stringify(token.value)}.`)
      throw new UsageError(`unknown flag ${token.rawName}${suggest(token.name)}.`)
    }
    const negated = token.rawName.startsWith('--no-')
    if (flag.type === 'boolean') {
      if (token.value !== undefined)
        throw new UsageError(`${token.rawName} takes no value; got ${JSON.stringify(token.value)}.`)
      values[flag.name] = !negated
      continue
    }
    if (negated)
      throw new UsageError(`unknown flag ${token.rawName}: --${flag.name} takes a value and cannot be negated.`)
    // `--port --host x` would otherwise make "--host" the port.
    if (token.value === undefined || (!token.inlineValue && /^--?[a-z]/i.test(token.value)))
      throw new UsageError(`${token.rawName} needs a value, e.g. ${usageOf(flag)}.`)
    if (token.name === flag.deprecatedName && !warnings.some(warning => warning.startsWith(`--${flag.deprecatedName} `)))
      warnings.push(`--${flag.deprecatedName} is now --${flag.name}: it still works in this release, but goes away in the next one. Write --${flag.name} ${token.value} instead.`)
    written[flag.name] = token.rawName
    values[flag.name] = flag.multiple ? [...(values[flag.name] as string[] | undefined ?? []), token.value] : token.value
  }

  const pageUrl = doctor && positionals[0] && !positionals[0].afterGlob ? parsePageUrl(positionals.shift()!.value) : undefined
  const positional = positionals[0]
  if (positional) {
    const value = JSON.stringify(positional.value)
    throw new UsageError(positional.afterGlob
      ? `unexpected argument ${value}: quote globs so the shell does not expand them, e.g. --watch "app/assets/**/*.css", and repeat --watch for each further glob.`
      : `unexpected argument ${value}: ${doctor ? 'doctor takes one page URL; ' : ''}every other value needs its flag, e.g. --watch ${value}.`)
  }

  const watch = values.watch as string[] | undefined ?? []
  const reload = values.reload as string[] | undefined ?? []
  if (!doctor && !watch.length && !reload.length)
    throw new UsageError(`nothing to watch: name your stylesheets with --watch, e.g. ${EXAMPLE}.`)
  const origins = (values.origin as string[] | undefined ?? []).map(parseOrigin)
  const loopbackOrigins = values['loopback-origins'] as boolean | undefined ?? true
  if (!origins.length && !loopbackOrigins)
    throw new UsageError(`--no-loopback-origins leaves no page that may open the stream: name the origin your pages are served from, e.g. ${EXAMPLE} --no-loopback-origins --origin http://localhost:3000.`)

  const options: CliOptions = {
    watch: watch.map(glob => nonEmpty('watch', glob)),
    reload: reload.map(glob => nonEmpty('reload', glob)),
    root: values.root === undefined ? undefined : nonEmpty('root', values.root as string),
    urlBase: parseUrlPath(values['url-base'] as string | undefined ?? '/', written['url-base']),
    origins: [...new Set(origins)],
    loopbackOrigins,
    port: values.port === undefined ? DEFAULT_PORT : parseInteger('port', values.port as string, 0, 65535),
    host: values.host === undefined ? '127.0.0.1' : nonEmpty('host', values.host as string),
    allowedHosts: (values['allowed-host'] as string[] | undefined ?? []).map(host => parseHostName(host)),
    strictPort: values['strict-port'] as boolean | undefined ?? true,
    heartbeatMs: values.heartbeat === undefined ? undefined : parseInteger('heartbeat', values.heartbeat as string, 1),
    poll: values.poll as boolean | undefined,
    debounceMs: values.debounce === undefined ? undefined : parseInteger('debounce', values.debounce as string, 0),
    token: values.token === undefined ? undefined : parseToken(values.token as string),
    redis: values.redis === undefined ? undefined : parseRedisUrl(values.redis as string),
    fallback: parseFallback(values.fallback as string | undefined ?? 'stylesheets'),
    overlay: values.overlay as boolean | undefined ?? true,
    debug: values.debug as boolean | undefined ?? false,
  }
  return doctor ? { command: 'doctor', options, pageUrl, warnings } : { command: 'start', options, warnings }
}

/** `--watch <glob>`, `--[no-]overlay`: how a flag is written in messages and in the help. */
export function usageOf(flag: Flag): string {
  if (flag.type === 'boolean')
    return flag.negatable ? `--[no-]${flag.name}` : `--${flag.name}`
  return `--${flag.name} ${flag.value ?? '<value>'}`
}

function suggest(name: string): string {
  let best: Flag | undefined
  let bestDistance = 3
  for (const flag of FLAGS) {
    const distance = editDistance(name, flag.name)
    if (distance < bestDistance) {
      best = flag
      bestDistance = distance
    }
  }
  return best
    ? `: did you mean --${best.name}? Run live-assets --help for every flag`
    : ': run live-assets --help for every flag'
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]
}

function nonEmpty(name: string, value: string): string {
  if (!value.trim())
    throw new UsageError(`--${name} needs a non-empty value.`)
  return value
}

function parseInteger(name: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const number = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN
  if (!(number >= min && number <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`
    throw new UsageError(`--${name} must be ${range}; got ${JSON.stringify(value)}.`)
  }
  return number
}

/** `assets/` -> `/assets`; the page's host is found by the browser, so only the path belongs here. */
function parseUrlPath(value: string, flag = '--url-base'): string {
  if (/^[a-z][a-z\d+.-]*:/i.test(value) || value.startsWith('//'))
    throw new UsageError(`${flag} takes the URL path of your assets, not a full URL, e.g. --url-base /assets; got ${JSON.stringify(value)}.`)
  if (/[?#\s\\]/.test(value))
    throw new UsageError(`${flag} must be a plain URL path such as /assets, without query, hash, spaces or backslashes; got ${JSON.stringify(value)}.`)
  return `/${value}`.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1')
}

function parseOrigin(value: string): string {
  if (value.trim() === '*')
    throw new UsageError('--origin "*" is not allowed: any website could then read the stream. Name each origin your pages come from, e.g. --origin http://localhost:3000.')
  let url: URL | undefined
  try {
    url = new URL(value)
  }
  catch {}
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new UsageError(`--origin must be an http(s) origin such as http://localhost:3000; got ${JSON.stringify(value)}.`)
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password)
    throw new UsageError(`--origin is scheme://host:port only, without a path: use --origin ${url.origin} instead of ${JSON.stringify(value)}.`)
  return url.origin
}

function parsePageUrl(value: string): string {
  let url: URL | undefined
  try {
    url = new URL(value)
  }
  catch {}
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:')
    throw new UsageError(`doctor takes the URL of a page as you open it in the browser, e.g. live-assets doctor http://localhost:3000/; got ${JSON.stringify(value)}.`)
  return url.href
}

function parseHostName(value: string): string {
  if (!/^[\w.-]+$|^\[[\da-f:.]+\]$/i.test(value))
    throw new UsageError(`--allowed-host takes a host name without scheme or port, e.g. myapp.test, .myapp.test or 192.168.1.20; got ${JSON.stringify(value)}.`)
  return value.toLowerCase()
}

function parseToken(value: string): string {
  if (!/^[\x21-\x7E]+$/.test(value))
    throw new UsageError('--token must be printable ASCII without spaces, since it travels in an Authorization header.')
  return value
}

function parseRedisUrl(value: string): string {
  if (!/^rediss?:\/\/[^\s/]/.test(value))
    throw new UsageError(`--redis needs a Redis URL such as redis://127.0.0.1:6379; got ${JSON.stringify(value)}.`)
  return value
}

function parseFallback(value: string): FallbackMode {
  if (!FALLBACKS.includes(value as FallbackMode))
    throw new UsageError(`--fallback must be one of ${FALLBACKS.join(', ')}; got ${JSON.stringify(value)}.`)
  return value as FallbackMode
}
