/**
 * The swap: clone, cache-bust, insert right after the original (cascade order unchanged), and
 * remove the original only once the clone has loaded. Clones load hidden (`media="not all"`:
 * fetched and parsed, never applied) so that every sheet of one event switches in the same task,
 * which is the same frame.
 */
import type { SwapJob } from './match'
import type { Owner } from './sheets'
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

/** The latest swap that owns an element; a newer one takes over and cancels the older clone. */
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
    if (!current(owner, claim) || !owner.isConnected || job.imports.some(url => broken.has(url))) {
      if (current(owner, claim))
        claims.delete(owner)
      return
    }
    const clone = owner.cloneNode(true) as Owner
    const media = owner.getAttribute('media')
    clone.media = 'not all'
    // The attribute, not the resolved `href`: a relative URL stays relative, as its author wrote it.
    if (clone instanceof HTMLLinkElement)
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
    if (result === 'load' && current(owner, claim))
      return { owner, clone, media, claim }
    clone.remove()
    if (result === 'error') {
      const url = clone instanceof HTMLLinkElement ? unbustUrl(clone.href) : job.imports.join(', ')
      failed.push({ url, message: `could not load ${url}: keeping the previous styles. Check the server log or the Network tab.` })
    }
    if (current(owner, claim))
      claims.delete(owner)
  }))

  // One synchronous pass: no frame can show some sheets switched and others not.
  const swapped: string[] = []
  for (const item of loaded) {
    if (!item)
      continue
    const { owner, clone, media, claim } = item
    pendingClones.delete(clone)
    if (!current(owner, claim)) {
      clone.remove()
      continue
    }
    claims.delete(owner)
    if (media === null)
      clone.removeAttribute('media')
    else
      clone.setAttribute('media', media)
    owner.remove()
    swapped.push(...clone instanceof HTMLLinkElement ? [unbustUrl(clone.href)] : claimedImports(jobs, owner))
  }
  return { swapped, failed, durationMs: Math.round(performance.now() - startedAt) }
}

function claimedImports(jobs: readonly SwapJob<Owner>[], owner: Owner): string[] {
  return jobs.find(job => job.owner === owner)?.imports ?? []
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
