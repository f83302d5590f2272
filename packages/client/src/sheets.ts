import type { SheetRef } from './match'
import type { eachRoot, Root } from './roots'

/**
 * A stylesheet owner we can swap: a `<link rel=stylesheet>`, a `<style>` block that `@import`s, or
 * a constructed sheet (adopted by a document or shadow root) whose source URL we were told.
 * Elements and rules may come from a same-origin frame, another realm: never test them with `instanceof`.
 */
export type Owner = HTMLLinkElement | HTMLStyleElement | CSSStyleSheet

/**
 * Where a constructed sheet's source URL is kept. `Symbol.for`, so that a page without the ES
 * module, another copy of the client or another frame all read and write the same key.
 */
export const SHEET_URL: unique symbol = Symbol.for('live-assets.url')

type Tracked = CSSStyleSheet & { [SHEET_URL]?: string | URL }

/** Imports nested deeper than this are not followed (a cycle guard as much as a cost bound). */
export const MAX_IMPORT_DEPTH = 8

/** `CSSRule.type` values: the only realm-free way to tell rules apart. */
const STYLE_RULE = 1
const IMPORT_RULE = 3

/**
 * Every URL the page's stylesheets depend on, in the document and, through `each` (see `roots.ts`), its open shadow
 * roots and the same-origin frames without a client of their own. `skip` holds our own clones while they load, so
 * an event arriving mid-swap never targets a clone.
 */
export function collectRefs(skip: WeakSet<Element>, each: typeof eachRoot = visit => visit(document)): SheetRef<Owner>[] {
  const refs: SheetRef<Owner>[] = []
  each((root: Root) => {
    for (const owner of root.querySelectorAll<HTMLLinkElement | HTMLStyleElement>('link[rel~="stylesheet" i],style')) {
      if (skip.has(owner))
        continue
      const frozen = owner.hasAttribute('data-no-reload')
      if (owner.localName === 'link') {
        const link = owner as HTMLLinkElement
        // A disabled or alternate sheet never loads its clone, so the swap would never settle.
        if (!link.href || link.disabled || /\balternate\b/i.test(link.rel))
          continue
        refs.push({ owner, url: link.href, imported: false, frozen })
      }
      walkImports(owner.sheet, owner.baseURI, 0, url => refs.push({ owner, url, imported: true, frozen }))
    }
    for (const sheet of root.adoptedStyleSheets as Tracked[]) {
      try {
        if (sheet[SHEET_URL])
          refs.push({ owner: sheet, url: new URL(sheet[SHEET_URL], root.baseURI).href, imported: false })
      }
      catch {}
    }
  })
  return refs
}

/** The rules of `sheet`, or nothing for a cross-origin sheet without CORS: its rules are not ours to read. */
export function readRules(sheet: CSSStyleSheet | null): CSSRuleList | undefined {
  try {
    return sheet?.cssRules
  }
  catch {}
}

/** Calls `visit` with the absolute URL of every `@import` under `sheet`, and the rule. */
export function walkImports(sheet: CSSStyleSheet | null, base: string, depth: number, visit: (url: string, rule: CSSImportRule) => void): void {
  const rules = readRules(sheet)
  if (!rules || depth > MAX_IMPORT_DEPTH)
    return
  for (const rule of rules) {
    // `@import` must come before every style rule: stop at the first one.
    if (rule.type === STYLE_RULE)
      break
    if (rule.type === IMPORT_RULE) {
      const imported = rule as CSSImportRule
      try {
        visit(new URL(imported.href, sheet!.href ?? base).href, imported)
      }
      catch {}
      walkImports(imported.styleSheet, base, depth + 1, visit)
    }
  }
}

/**
 * Tells the client which URL a constructed stylesheet was made from, so that a change to that file
 * updates the sheet in place (`replaceSync`): the same object, in every document and shadow root
 * that adopted it. A relative URL is resolved against the adopting document's base URL.
 * @returns the sheet
 */
export function trackSheet<T extends CSSStyleSheet>(sheet: T, url: string | URL): T {
  (sheet as Tracked)[SHEET_URL] = String(url)
  return sheet
}
