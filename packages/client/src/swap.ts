/**
 * The swap: clone, cache-bust, insert right after the original (cascade order unchanged), and
 * remove the original only once the clone has loaded. Clones load hidden (`media="not all"`:
 * fetched and parsed, never applied) so that every sheet of one event switches in the same task,
 * which is the same frame.
 */
import type { SwapJob } from './match'
import type { Owner } from './sheets'
import { trackSheet } from './sheets'
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

  // A reloaded owner would read an imported partial from the HTTP cache; refresh those first.
  const broken = new Set<string>()
  await Promise.all([...new Set(jobs.flatMap(job => job.imports))].map(async (url) => {
    const problem = await refreshCache(url)
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
  const media = owner.getAttribute('media')
  const isLink = clone.localName === 'link'
  clone.media = 'not all'
  // The attribute, not the resolved `href`: a relative URL stays relative, as its author wrote it.
  if (isLink)
    clone.setAttribute('href', bustUrl(job.href ?? owner.getAttribute('href')!, token))
  pendingClones.add(clone)
  const result = await new Promise<'load' | 'error' | 'superseded'>((resolve) => {
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
        if (media === null)
          clone.removeAttribute('media')
        else
          clone.setAttribute('media', media)
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
 * Re-downloads an imported sheet into the HTTP cache (`cache: 'reload'` stores the answer), so the
 * reloaded owner's `@import` reads the new file even when the server allowed caching. Returns what
 * went wrong, if anything.
 */
async function refreshCache(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { cache: 'reload', mode: 'no-cors', credentials: 'include' })
    await res.blob()
    if (res.type === 'opaque' || res.ok)
      return
    return `could not load ${url} (HTTP ${res.status}): keeping the previous styles.`
  }
  catch {
    return `could not load ${url}: keeping the previous styles. Is the server up?`
  }
}
