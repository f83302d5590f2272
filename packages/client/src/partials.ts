/**
 * Changed `@import`ed partials (part of the on-demand extras): loaded once before the swap, then pointed at by the
 * clone's `@import` rules at their cache-busted URL.
 */
import type { SwapFailure } from './swap'
import { readRules, walkImports } from './sheets'
import { LOAD_TIMEOUT_MS } from './swap'
import { bustUrl, unbustUrl } from './url'

/**
 * Downloads each changed partial at its busted URL, before the swap: a broken one keeps the old styles, and a
 * cacheable one is then read from the HTTP cache by the `@import`. Adds what went wrong to `failed`.
 * @returns the partials that could not be loaded
 */
export async function preloadPartials(urls: readonly string[], token: string, failed: SwapFailure[]): Promise<Set<string>> {
  const broken = new Set<string>()
  await Promise.all(urls.map(async (url) => {
    const problem = await preload(url, bustUrl(url, token))
    if (problem) {
      broken.add(url)
      failed.push({ url, message: problem })
    }
  }))
  return broken
}

/** Returns what went wrong, if anything. */
async function preload(url: string, busted: string): Promise<string | undefined> {
  try {
    const res = await fetch(busted, { mode: 'no-cors', credentials: 'include' })
    await res.blob()
    if (res.type === 'opaque' || res.ok)
      return
    return `could not load ${url} (HTTP ${res.status}): keeping the previous styles.`
  }
  catch {
    return `could not load ${url}: keeping the previous styles. Is the server up?`
  }
}

/**
 * Points the clone's `@import`s of the changed partials at their cache-busted URL, and waits until they have loaded.
 * Firefox gives every new sheet of a document the copy of an imported sheet it already parsed, whatever the HTTP
 * cache holds: only a new URL is read again.
 */
export async function bustImports(sheet: CSSStyleSheet, base: string, urls: string[], token: string): Promise<'load' | 'error'> {
  const stale: CSSImportRule[] = []
  // The owner may be an earlier clone, whose rules already point at an earlier busted URL.
  const changed = urls.map(unbustUrl)
  walkImports(sheet, base, 0, (url, rule) => changed.includes(unbustUrl(url)) && rule.cssText.includes(rule.href) && stale.push(rule))
  const loading = stale.map((rule) => {
    const parent = rule.parentStyleSheet!
    const index = [...parent.cssRules].indexOf(rule)
    parent.insertRule(rule.cssText.replace(rule.href, bustUrl(rule.href, token)), index)
    parent.deleteRule(index + 1)
    return parent.cssRules[index] as CSSImportRule
  })
  // An imported sheet has no load event; its rules can be read once it has loaded (Firefox throws until then).
  for (const deadline = Date.now() + LOAD_TIMEOUT_MS; !loading.every(rule => readRules(rule.styleSheet));) {
    if (Date.now() > deadline)
      return 'error'
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  return 'load'
}
