import type { IncomingMessage } from 'node:http'

/** Hosts every dev server answers to: loopback names and addresses. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/** `Host: localhost:5173` -> `localhost`; `[::1]:80` -> `[::1]`. */
export function hostname(host: string): string {
  const h = host.trim().toLowerCase()
  if (h.startsWith('['))
    return h.slice(0, h.indexOf(']') + 1)
  return h.replace(/:\d*$/, '')
}

/**
 * DNS rebinding guard: a page on `evil.example` that resolves to 127.0.0.1 still sends
 * `Host: evil.example`, so only names we know are answered.
 */
export function isAllowedHost(host: string | undefined, allowed: readonly string[] | true): boolean {
  if (allowed === true)
    return true
  if (!host)
    return false
  const name = hostname(host)
  if (LOOPBACK_HOSTS.has(name) || name.endsWith('.localhost'))
    return true
  return allowed.some(entry => entry.startsWith('.')
    ? name === entry.slice(1) || name.endsWith(entry)
    : name === entry)
}

/**
 * `http(s)://localhost`, `*.localhost`, `127.0.0.1` or `[::1]`, on any port: a page of a server on this machine, the
 * same set Vite's default `server.cors` accepts. Only the exact serialised origin counts, so look-alikes
 * (`localhost.evil.example`, `localhost:3000.evil.example`, `127.1`, `null`) do not.
 */
export function isLoopbackOrigin(origin: string): boolean {
  let url: URL
  try {
    url = new URL(origin)
  }
  catch {
    return false
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin)
    return false
  return LOOPBACK_HOSTS.has(url.hostname) || url.hostname.endsWith('.localhost')
}

export type OriginVerdict
  /** No `Origin`, or the page's own origin. */
  = | 'same-origin'
  /** An origin from `allowedOrigins`, or a loopback one: answer with CORS headers naming it. */
    | 'allowed'
    | 'forbidden'

/**
 * Decides whether the page that sent the request may read the answer. A request without `Origin` is a
 * same-origin GET or a non-browser tool, unless the browser says it came from another site.
 * @param req the request
 * @param allowedOrigins origins accepted besides the page's own
 * @param loopbackOrigins whether every loopback origin is accepted too
 */
export function checkOrigin(req: IncomingMessage, allowedOrigins: readonly string[], loopbackOrigins: boolean): OriginVerdict {
  const origin = req.headers.origin
  const host = req.headers.host ?? req.headers[':authority']
  if (origin === undefined || origin === '')
    return req.headers['sec-fetch-site'] === 'cross-site' ? 'forbidden' : 'same-origin'
  if (allowedOrigins.includes(origin))
    return 'allowed'
  try {
    // Same origin means same host *and* port: another local port is another site's dev server.
    if (typeof host === 'string' && new URL(origin).host === host.toLowerCase())
      return 'same-origin'
  }
  catch {}
  return loopbackOrigins && isLoopbackOrigin(origin) ? 'allowed' : 'forbidden'
}
