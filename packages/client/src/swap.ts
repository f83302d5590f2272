/**
 * The swap: clone, cache-bust, insert right after the original (cascade order unchanged), and
 * remove the original only once the clone has loaded. Clones load hidden (`media="not all"`:
 * fetched and parsed, never applied) so that every sheet of one event switches in the same task,
 * which is the same frame.
 */
import type { SwapJob } from './match'
import type { Owner } from './sheets'
import { readRules, trackSheet, walkImports } from './sheets'
import { bustUrl, unbustUrl } from './url'

export interface SwapFailure {
  url: string
  message: string
}

export interface SwapOutcome {
  /** URLs of the sheets now showing new styles, without our parameter. */
  swapped: string[]
  failed: SwapFailure[]
  durationMs: number
}

/** The latest swap that owns an element or a constructed sheet; a newer one takes over (and cancels the older clone). */
interface Claim {
  cancel?: () => void
}

const claims = new Map<Owner, Claim>()

/**
 * The `media` attribute each switched clone stands for. Its attribute stays "not all" and its sheet's media is set
 * instead: WebKit fetches a link again when its `media` attribute changes, and shows no sheet until it has it.
 */
const mediaOf = new WeakMap<Element, string | null>()

/** Clones still loading: never a target of a newer event. */
export const pendingClones: WeakSet<Element> = new WeakSet()

/** A clone that neither loads nor fails by then (a hung request) is given up. */
const LOAD_TIMEOUT_MS = 30_000

export async function swapSheets(jobs: readonly SwapJob<Owner>[], token: string, startedAt: number): Promise<SwapOutcome> {
  const failed: SwapFailure[] = []
  // Claim every owner now, before anything async: a newer event always wins over this one.
  const claimed = jobs.map((job) => {
    claims.get(job.owner)?.cancel?.()
    const claim: Claim = {}
    claims.set(job.owner, claim)
    return { job, claim }
  })
  const current = (owner: Owner, claim: Claim): boolean => claims.get(owner) === claim

  // Load each changed partial once first: a broken one keeps the old styles, and a cacheable one is then read from the cache.
  const broken = new Set<string>()
  await Promise.all([...new Set(jobs.flatMap(job => job.imports))].map(async (url) => {
    const problem = await preload(url, bustUrl(url, token))
    if (problem) {
      broken.add(url)
      failed.push({ url, message: problem })
    }
  }))

  const loaded = await Promise.all(claimed.map(async ({ job, claim }) => {
    const { owner } = job
    if (!current(owner, claim) || ('localName' in owner && !owner.isConnected) || job.imports.some(url => broken.has(url))) {
      if (current(owner, claim))
        claims.delete(owner)
      return
    }
    const ready = 'localName' in owner
      ? await loadClone(owner, job, token, claim)
      : await fetchSheet(owner, job.href ?? job.url!, token, failed)
    if (ready && 'message' in ready)
      failed.push(ready)
    else if (ready)
      return { owner, claim, ...ready }
    if (current(owner, claim))
      claims.delete(owner)
  }))

  // One synchronous pass: no frame can show some sheets switched and others not.
  const swapped: string[] = []
  for (const item of loaded) {
    if (!item)
      continue
    if (!current(item.owner, item.claim)) {
      item.drop()
      continue
    }
    claims.delete(item.owner)
    swapped.push(...item.apply())
  }
  return { swapped, failed, durationMs: Math.round(performance.now() - startedAt) }
}

/** Loaded and ready to switch: `apply` shows it (and returns the URLs now new), `drop` forgets it. */
interface Ready {
  apply: () => string[]
  drop: () => void
}

async function loadClone(owner: HTMLLinkElement | HTMLStyleElement, job: SwapJob<Owner>, token: string, claim: Claim): Promise<Ready | SwapFailure | undefined> {
  const clone = owner.cloneNode(true) as typeof owner
  const media = mediaOf.has(owner) ? mediaOf.get(owner)! : owner.getAttribute('media')
  const isLink = clone.localName === 'link'
  clone.media = 'not all'
  // The attribute, not the resolved `href`: a relative URL stays relative, as its author wrote it.
  if (isLink)
    clone.setAttribute('href', bustUrl(job.href ?? owner.getAttribute('href')!, token))
  pendingClones.add(clone)
  let result = await new Promise<'load' | 'error' | 'superseded'>((resolve) => {
    const timer = setTimeout(done, LOAD_TIMEOUT_MS, 'error')
    function done(outcome: 'load' | 'error' | 'superseded'): void {
      clearTimeout(timer)
      resolve(outcome)
    }
    clone.addEventListener('load', () => done('load'))
    clone.addEventListener('error', () => done('error'))
    claim.cancel = () => done('superseded')
    owner.after(clone)
  })
  if (result === 'load' && job.imports.length)
    result = await bustImports(clone.sheet!, owner.baseURI, job.imports, token)
  const urls = isLink ? [unbustUrl((clone as HTMLLinkElement).href)] : job.imports
  const drop = (): void => {
    pendingClones.delete(clone)
    clone.remove()
  }
  if (result === 'load') {
    return {
      drop,
      apply() {
        pendingClones.delete(clone)
        clone.sheet!.media.mediaText = media ?? ''
        mediaOf.set(clone, media)
        owner.remove()
        return urls
      },
    }
  }
  drop()
  if (result === 'error') {
    const url = urls.join(', ')
    return { url, message: `could not load ${url}: keeping the previous styles. Check the server log or the Network tab.` }
  }
}

/**
 * A constructed sheet has no element to clone: fetch its new text now, and `replaceSync` it in the
 * switch pass, so the same object (and every document and shadow root that adopted it) changes
 * with the clones of the same event. The sheet keeps its base URL, so relative `url()`s resolve as before.
 */
async function fetchSheet(sheet: CSSStyleSheet, url: string, token: string, failed: SwapFailure[]): Promise<Ready | SwapFailure> {
  let status = ''
  try {
    const res = await fetch(bustUrl(url, token), { signal: AbortSignal.timeout(LOAD_TIMEOUT_MS) })
    const text = await res.text()
    if (res.ok) {
      return {
        drop() {},
        apply() {
          try {
            sheet.replaceSync(text)
            trackSheet(sheet, url)
            return [url]
          }
          catch (error) {
            failed.push({ url, message: `could not update the constructed sheet of ${url} (${error}): keeping the previous styles.` })
            return []
          }
        },
      }
    }
    status = ` (HTTP ${res.status})`
  }
  catch {}
  return { url, message: `could not load ${url}${status}: keeping the previous styles.${status ? '' : ' Is the server up (and, on another origin, does it send CORS headers)?'}` }
}

/**
 * Points the clone's `@import`s of the changed partials at their cache-busted URL, and waits until they have loaded.
 * Firefox gives every new sheet of a document the copy of an imported sheet it already parsed, whatever the HTTP
 * cache holds: only a new URL is read again.
 */
async function bustImports(sheet: CSSStyleSheet, base: string, urls: string[], token: string): Promise<'load' | 'error'> {
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

/**
 * Downloads a changed imported sheet at its new `busted` URL, before the swap; the answer is stored in the HTTP
 * cache where the server allows it, and read from there by the `@import`. Returns what went wrong, if anything.
 */
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
