/**
 * Which stylesheets an event is about. Pure functions over plain records, so the decisions are
 * unit-tested without a browser; `sheets.ts` builds the records from the DOM.
 */
import type { RenamedFile } from '../../core/src/protocol'
import { commonTrailing, renamedUrl, segments } from './url'

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
  /** Imported URLs to refresh before the owner is reloaded. */
  imports: string[]
}

export interface Plan<T> {
  jobs: SwapJob<T>[]
  /** False when no stylesheet on the page has anything to do with the event: time to fall back. */
  matched: boolean
}

/**
 * The refs that share the longest trailing path with `path` (at least the file name). Ties all
 * win: the same file linked twice, or linked and imported, is reloaded everywhere.
 */
export function bestMatches<T>(path: string, refs: readonly SheetRef<T>[]): SheetRef<T>[] {
  const wanted = segments(path)
  let best: SheetRef<T>[] = []
  let score = 0
  for (const ref of refs) {
    const s = commonTrailing(wanted, segments(new URL(ref.url).pathname))
    if (s > score)
      [best, score] = [[ref], s]
    else if (s && s === score)
      best.push(ref)
  }
  return best
}

/**
 * Turns the paths of a `reloadCSS` into swap jobs. `files` and the `renamed` paths must already be
 * filtered through `changedPath`. With neither, every owner is reloaded and every import refreshed.
 */
export function planReload<T>(files: readonly string[], renamed: readonly RenamedFile[], refs: readonly SheetRef<T>[]): Plan<T> {
  const jobs = new Map<T, SwapJob<T>>()
  const all = !files.length && !renamed.length
  let matched = all
  const job = (owner: T): SwapJob<T> => {
    let j = jobs.get(owner)
    if (!j)
      jobs.set(owner, j = { owner, imports: [] })
    return j
  }
  const take = (ref: SheetRef<T>, href?: string): void => {
    matched = true
    if (ref.frozen)
      return
    const j = job(ref.owner)
    if (href)
      j.href = href
    if (!ref.imported)
      j.url = ref.url
    else if (!j.imports.includes(ref.url))
      j.imports.push(ref.url)
  }

  for (const { from, to } of renamed) {
    for (const ref of bestMatches(from, refs.filter(r => !r.imported)))
      take(ref, renamedUrl(ref.url, from, to))
  }
  for (const file of files) {
    for (const ref of bestMatches(file, refs))
      take(ref)
  }
  if (all) {
    for (const ref of refs) {
      if (!ref.frozen)
        take(ref)
    }
  }
  return { jobs: [...jobs.values()], matched }
}
