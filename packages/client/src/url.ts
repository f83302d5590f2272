/**
 * Pure URL helpers: no DOM, so they are unit-tested in node.
 */

/** Our own cache-busting query parameter: `?la=<token>`. */
export const BUST_PARAM = 'la'

/**
 * A token that is never reused, not even across page loads: a cached `?la=1` from the previous
 * page load would otherwise be served from the HTTP cache instead of the changed file.
 */
export function freshToken(): string {
  const [a, b] = crypto.getRandomValues(new Uint32Array(2))
  return Date.now().toString(36) + a.toString(36) + b.toString(36)
}

/**
 * The cache-busting tokens of one client's swaps: the id of the event that asked for one, where it has one, so that
 * every tab and frame told of one save asks for the same URL, and where the server lets stylesheets be cached, the
 * browser fetches it once for all of them. A live-assets id is never reused: its epoch is new on every start of the
 * server's log. An event without an id of its own (from another server) carries the last one the stream had, which
 * stands for an earlier version: an id seen before, or none, gets a fresh token.
 */
export function eventTokens(): (id: string | undefined) => string {
  let last: string | undefined
  return (id) => {
    const token = id && id !== last ? encodeURIComponent(id) : freshToken()
    last = id ?? last
    return token
  }
}

/**
 * Sets `la=<token>` on `href`, keeping every other query parameter exactly as written (no
 * re-encoding through URLSearchParams) and the hash.
 */
export function bustUrl(href: string, token: string): string {
  const hashAt = href.indexOf('#')
  const hash = hashAt < 0 ? '' : href.slice(hashAt)
  const rest = hashAt < 0 ? href : href.slice(0, hashAt)
  const queryAt = rest.indexOf('?')
  const params = queryAt < 0
    ? []
    : rest.slice(queryAt + 1).split('&').filter(p => p && p !== BUST_PARAM && !p.startsWith(`${BUST_PARAM}=`))
  params.push(`${BUST_PARAM}=${token}`)
  return `${queryAt < 0 ? rest : rest.slice(0, queryAt)}?${params.join('&')}${hash}`
}

/** `href` without our parameter: what the page author wrote, for messages and events. */
export function unbustUrl(href: string): string {
  return bustUrl(href, '').replace(/[?&]la=(?=#|$)/, '')
}

/**
 * The URL path of a changed file named in an event, or `undefined` when it must be ignored:
 * `javascript:` and other schemes, or an absolute URL on an origin that is neither the page's
 * nor the live-assets server's.
 */
export function changedPath(file: string, origins: readonly string[]): string | undefined {
  try {
    const url = new URL(file, origins[0])
    if (/^https?:$/.test(url.protocol) && origins.includes(url.origin))
      return url.pathname
  }
  catch {}
}

/** Path segments as written (still percent-encoded), empty ones dropped. */
export function segments(path: string): string[] {
  return path.split('/').filter(Boolean)
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  }
  catch {
    return segment
  }
}

/**
 * A file name without the content digest an asset pipeline puts in it: `application-1a2b3c4d.css` (Propshaft),
 * `application-<64 hex>.css` (Sprockets), `app.3f2a1b9c.css` and `app-3f2a1b9c.digested.css` become `application.css`,
 * `app.css`. Seven or more hex digits, so that `theme-dark.css` or `v2-grid.css` keep their names.
 */
export function withoutDigest(name: string): string {
  return name.replace(/[-.][\da-f]{7,64}(?:\.digested)?(?=\.[^.]+$)/i, '')
}

/** `https://x/assets/app-1a2b3c4d.css?v=2` -> `https://x/assets/app.css`: the same asset whatever its version. */
export function unversioned(url: URL): string {
  return `${url.origin}${segments(url.pathname).map(name => `/${withoutDigest(name)}`).join('')}`
}

/** How many trailing path segments `a` and `b` share: `/x/css/app.css` and `/css/app.css` share 2. */
export function commonTrailing(a: readonly string[], b: readonly string[]): number {
  let n = 0
  while (n < a.length && n < b.length && decode(a[a.length - 1 - n]) === decode(b[b.length - 1 - n]))
    n++
  return n
}

/**
 * The new URL of a stylesheet whose output was renamed: the segments of `href` that matched
 * `from` are replaced by the matching tail of `to`, so `/base/assets/app.3f2a.css?v=1#x` with
 * `/assets/app.3f2a.css -> /assets/app.9c1d.css` becomes `/base/assets/app.9c1d.css?v=1#x`.
 */
export function renamedUrl(href: string, from: string, to: string): string | undefined {
  const url = new URL(href)
  const own = segments(url.pathname)
  const old = segments(from)
  const matched = commonTrailing(own, old)
  if (!matched)
    return
  url.pathname = `/${[...own.slice(0, own.length - matched), ...segments(to).slice(old.length - matched)].join('/')}`
  return url.href
}
