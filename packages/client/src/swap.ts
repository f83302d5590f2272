/**
 * The swap: clone, cache-bust, insert right after the original (cascade order unchanged), and
 * remove the original only once the clone has loaded. When one event changes several sheets (or a
 * sheet's `@import`s), the clones load hidden (`media="not all"`: fetched and parsed, never
 * applied) so that they all switch in the same task, which is the same frame. The one linked sheet
 * of an event loads as it is: the browser applies it as soon as it is parsed, before its `load`
 * event (up to 2 ms sooner in Chromium: a frame sooner whenever a frame starts in between).
 */
import type { Extras } from './extras'
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
export const LOAD_TIMEOUT_MS = 30_000

/**
 * Whether a swap of `jobs` needs the on-demand extras: for changed `@import`ed partials, constructed sheets, or the
 * new names of fingerprinted sheets.
 */
export function needsExtras(jobs: readonly SwapJob<Owner>[]): boolean {
  return jobs.some(job => job.imports.length || job.fingerprinted || !('localName' in job.owner))
}

/**
 * Swaps the sheets of `jobs`, all switched in one pass once every one has loaded.
 * @param jobs what to swap
 * @param token the fresh cache-busting token of this event
 * @param startedAt when the event came, for `durationMs`
 * @param extras loaded when {@link needsExtras} says so
 */
export async function swapSheets(jobs: readonly SwapJob<Owner>[], token: string, startedAt: number, extras?: Extras): Promise<SwapOutcome> {
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
  const partials = [...new Set(jobs.flatMap(job => job.imports))]
  const broken = partials.length ? await extras!.preloadPartials(partials, token, failed) : new Set<string>()

  const loaded = await Promise.all(claimed.map(async ({ job, claim }) => {
    const { owner } = job
    if (!current(owner, claim) || ('localName' in owner && !owner.isConnected) || job.imports.some(url => broken.has(url))) {
      if (current(owner, claim))
        claims.delete(owner)
      return
    }
    const ready = 'localName' in owner
      ? await loadClone(owner, job, token, claim, jobs.length > 1, extras)
      : await extras!.fetchSheet(owner, job.href ?? job.url!, token, failed)
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
export interface Ready {
  apply: () => string[]
  drop: () => void
}

/** Loads the new version of `owner` beside it: hidden when `together` (other sheets of its event switch with it). */
async function loadClone(owner: HTMLLinkElement | HTMLStyleElement, job: SwapJob<Owner>, token: string, claim: Claim, together: boolean, extras?: Extras): Promise<Ready | SwapFailure | undefined> {
  const clone = owner.cloneNode(true) as typeof owner
  const media = mediaOf.has(owner) ? mediaOf.get(owner)! : owner.getAttribute('media')
  const isLink = clone.localName === 'link'
  const hidden = together || !isLink || job.imports.length > 0
  if (hidden)
    clone.media = 'not all'
  else if (media === null)
    clone.removeAttribute('media')
  else
    clone.media = media
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
    result = await extras!.bustImports(clone.sheet!, owner.baseURI, job.imports, token)
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
        if (hidden) {
          clone.sheet!.media.mediaText = media ?? ''
          mediaOf.set(clone, media)
        }
        owner.remove()
        return urls
      },
    }
  }
  drop()
  if (result === 'error') {
    const url = urls.join(', ')
    return { url, message: `could not load ${url}: keeping the previous styles (see the Network tab).` }
  }
}
