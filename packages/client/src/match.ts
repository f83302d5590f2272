/**
 * Which stylesheets an event is about. Pure functions over plain records, so the decisions are
 * unit-tested without a browser; `sheets.ts` builds the records from the DOM.
 */
import type { RenamedFile } from '@live-assets/protocol'
import type { renamedUrl } from './url'
import { commonTrailing, segments, withoutDigest } from './url'

/** One URL a stylesheet owner depends on: its own `href`, or a sheet it reaches through `@import`. */
export interface SheetRef<T> {
  owner: T
  /** Absolute URL. */
  url: string
  imported: boolean
  /** `data-no-reload`: matches (so no fallback kicks in), but is never touched. */
  frozen?: boolean
}

export interface SwapJob<T> {
  owner: T
  /** The owner's own absolute URL (not an imported one), when it has one. */
  url?: string
  /** Set for a renamed output: the owner's new `href`. */
  href?: string
  /**
   * Matched only once the content digests were taken out of the names: the owner's URL changes with its content,
   * so its new `href` is read from the page as the server renders it now, and its old imports are not refreshed.
   */
  fingerprinted?: boolean
  /** Imported URLs to refresh before the owner is reloaded. */
  imports: string[]
}

export interface Plan<T> {
  jobs: SwapJob<T>[]
  /** False when no stylesheet on the page has anything to do with the event: time to fall back. */
  matched: boolean
}

/** The path segments of each ref's URL, as written and without digests. */
const namesOf = new WeakMap<object, string[][]>()

/**
 * The refs that share the longest trailing path with `path` (at least the file name). Ties all
 * win: the same file linked twice, or linked and imported, is reloaded everywhere.
 */
export function bestMatches<T>(path: string, refs: readonly SheetRef<T>[], digests = false): SheetRef<T>[] {
  const names = (p: string): string[] => digests ? segments(p).map(withoutDigest) : segments(p)
  const wanted = names(path)
  let best: SheetRef<T>[] = []
  let score = 0
  for (const ref of refs) {
    // A branch switch names hundreds of files against hundreds of sheets: parse each sheet's URL once, not once per file.
    const parsed = namesOf.get(ref) ?? []
    namesOf.set(ref, parsed)
    const s = commonTrailing(wanted, parsed[+digests] ??= names(new URL(ref.url).pathname))
    if (s > score)
      [best, score] = [[ref], s]
    else if (s && s === score)
      best.push(ref)
  }
  return best
}

/**
 * Turns the paths of a `reloadCSS` into swap jobs. `files` and the `renamed` paths must already be
 * filtered through `changedPath`. With neither, every owner is reloaded and every import refreshed. `renamed` is
 * followed with `rename`, {@link renamedUrl} from the on-demand extras.
 */
export function planReload<T>(files: readonly string[], renamed: readonly RenamedFile[], refs: readonly SheetRef<T>[], rename?: typeof renamedUrl): Plan<T> {
  const jobs = new Map<T, SwapJob<T>>()
  const all = !files.length && !renamed.length
  let matched = all
  const job = (owner: T): SwapJob<T> => {
    let j = jobs.get(owner)
    if (!j)
      jobs.set(owner, j = { owner, imports: [] })
    return j
  }
  const take = (ref: SheetRef<T>, href?: string, fingerprinted?: boolean): void => {
    matched = true
    if (ref.frozen)
      return
    const j = job(ref.owner)
    if (href)
      j.href = href
    if (fingerprinted)
      j.fingerprinted = true
    if (!ref.imported)
      j.url = ref.url
    else if (!j.imports.includes(ref.url))
      j.imports.push(ref.url)
  }

  for (const { from, to } of rename ? renamed : []) {
    for (const ref of bestMatches(from, refs.filter(r => !r.imported)))
      take(ref, rename!(ref.url, from, to))
  }
  for (const file of files) {
    const exact = bestMatches(file, refs)
    // `app.css` changed and the page links `app-1a2b3c4d.css`: the backend fingerprints its assets.
    for (const ref of exact.length ? exact : bestMatches(file, refs, true))
      take(ref, undefined, !exact.length)
  }
  if (all) {
    for (const ref of refs) {
      if (!ref.frozen)
        take(ref)
    }
  }
  return { jobs: [...jobs.values()], matched }
}
