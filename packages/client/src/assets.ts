/**
 * Live images and other assets: every place that uses a changed file gets a cache-busted URL, so the
 * browser fetches the new file in place. The page is never reloaded.
 */
import type { SheetRef } from './match'
import type { Root } from './roots'
import { bestMatches } from './match'
import { eachRoot } from './roots'
import { MAX_IMPORT_DEPTH, readRules } from './sheets'
import { bustUrl } from './url'

/** A text that holds URLs: one attribute, or one property of a CSS declaration block. */
interface Holder {
  text: string
  /** What relative URLs in `text` are resolved against. */
  base: string
  write: (text: string) => void
}

/** One URL inside a holder's text, at `[start, end)`. */
interface Use {
  holder: Holder
  start: number
  end: number
}

/** The URL of an attribute that is one URL (`src`, `href`, `poster`): the value without surrounding spaces. */
export const WHOLE = /(\S(?:[\s\S]*\S)?)/dg
/** The URL of each `srcset` candidate: up to the whitespace before its descriptor, without the commas after it. */
export const SRCSET = /(?:^|,)\s*([^\s,]+(?:,+[^\s,]+)*)/dg
/** `url(...)` in CSS, quoted either way or not at all. */
export const CSS_URL = /url\(\s*(?:"([^"]*)"|'([^']*)'|([^\s"')]+))\s*\)/dg

/** Elements, the attribute that names the file, and how to find the URLs in it. */
const ATTRIBUTES: [selector: string, name: string, pattern: RegExp][] = [
  ['img,source', 'srcset', SRCSET],
  ['img', 'src', WHOLE],
  ['image', 'href', WHOLE],
  ['image', 'xlink:href', WHOLE],
  ['video', 'poster', WHOLE],
  ['[style]', 'style', CSS_URL],
]

/** One event at a time, so that an older event's writes never land after a newer one's. */
let queue: Promise<unknown> = Promise.resolve()

/**
 * Points every use of the changed files at their new version. The new files are loaded first (as images), and
 * every use is switched in one step once they have, so a CSS background never shows a frame without an image.
 * @param files changed URL paths, already filtered through `changedPath`
 * @param token the fresh cache-busting token of this event
 * @returns the number of places (attributes, CSS declarations) that now use the new files
 */
export function reloadAssets(files: readonly string[], token: string): Promise<number> {
  const next = queue.then(async () => {
    const busted = new Set(uses(files).map(({ holder, start, end }) => new URL(bustUrl(holder.text.slice(start, end), token), holder.base).href))
    await Promise.all([...busted].map(preload))
    // Found again: the page may have changed its attributes while the files loaded.
    const byHolder = new Map<Holder, Use[]>()
    for (const use of uses(files))
      byHolder.set(use.holder, [...byHolder.get(use.holder) ?? [], use])
    for (const [holder, spans] of byHolder) {
      let text = holder.text
      for (const { start, end } of spans.sort((a, b) => b.start - a.start))
        text = text.slice(0, start) + bustUrl(text.slice(start, end), token) + text.slice(end)
      holder.write(text)
    }
    return byHolder.size
  })
  queue = next.catch(() => {})
  return next
}

/** Where the URLs are in `text`: `[start, end)` of the group that matched, for each match of `pattern`; never empty. */
export function urlSpans(text: string, pattern: RegExp): [number, number][] {
  return [...text.matchAll(pattern)].map(match => match.indices!.slice(1).find(Boolean)!).filter(([start, end]) => end > start)
}

/** Resolves once `url` has loaded or failed: a failed file is still switched to, as the server now has it. */
function preload(url: string): Promise<unknown> {
  const image = new Image()
  image.src = url
  return image.decode().catch(() => {})
}

/** The uses whose URL shares the longest trailing path with a changed file, on every root this client looks after. */
function uses(files: readonly string[]): Use[] {
  const refs: SheetRef<Use>[] = []
  const add = (holder: Holder, pattern: RegExp): void => {
    for (const [start, end] of urlSpans(holder.text, pattern)) {
      try {
        const url = new URL(holder.text.slice(start, end), holder.base)
        if (/^https?:$/.test(url.protocol))
          refs.push({ owner: { holder, start, end }, url: url.href, imported: false })
      }
      catch {}
    }
  }
  eachRoot((root) => {
    for (const [selector, name, pattern] of ATTRIBUTES) {
      for (const el of root.querySelectorAll(selector)) {
        const text = el.getAttribute(name)
        if (text)
          add({ text, base: el.baseURI, write: value => el.setAttribute(name, value) }, pattern)
      }
    }
    for (const sheet of sheetsOf(root))
      walkSheet(sheet, root.baseURI, 0, add)
  })
  const found = new Set<Use>()
  for (const file of files) {
    for (const ref of bestMatches(file, refs))
      found.add(ref.owner)
  }
  return [...found]
}

function sheetsOf(root: Root): CSSStyleSheet[] {
  return [...root.styleSheets, ...root.adoptedStyleSheets ?? []]
}

/** Every `url()` in the declarations of a sheet: style rules, nested and grouping rules, `@font-face`, `@import`s. */
function walkSheet(sheet: CSSStyleSheet, base: string, depth: number, add: (holder: Holder, pattern: RegExp) => void): void {
  const rules = readRules(sheet)
  if (!rules)
    return
  const walk = (list: CSSRuleList): void => {
    for (const rule of list) {
      // Duck-typed: rules of a frame's sheets come from another realm, where `instanceof` fails.
      const { style, cssRules, styleSheet } = rule as Partial<CSSStyleRule & CSSImportRule>
      if (styleSheet && depth < MAX_IMPORT_DEPTH)
        walkSheet(styleSheet, sheet.href ?? base, depth + 1, add)
      if (cssRules)
        walk(cssRules)
      for (const name of style ?? []) {
        const text = style!.getPropertyValue(name)
        if (text.includes('url('))
          add({ text, base: sheet.href ?? base, write: value => style!.setProperty(name, value, style!.getPropertyPriority(name)) }, CSS_URL)
      }
    }
  }
  walk(rules)
}
