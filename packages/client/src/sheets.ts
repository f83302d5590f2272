import type { SheetRef } from './match'

/** A stylesheet owner we can swap: a `<link rel=stylesheet>`, or a `<style>` block that `@import`s. */
export type Owner = HTMLLinkElement | HTMLStyleElement

/** Imports nested deeper than this are not followed (a cycle guard as much as a cost bound). */
const MAX_IMPORT_DEPTH = 8

/**
 * Every URL the page's stylesheets depend on. `skip` holds our own clones while they load, so an
 * event arriving mid-swap never targets a clone.
 */
export function collectRefs(skip: WeakSet<Element>): SheetRef<Owner>[] {
  const refs: SheetRef<Owner>[] = []
  for (const owner of document.querySelectorAll<Owner>('link[rel~="stylesheet" i],style')) {
    if (skip.has(owner))
      continue
    const frozen = owner.hasAttribute('data-no-reload')
    if (owner instanceof HTMLLinkElement) {
      // A disabled or alternate sheet never loads its clone, so the swap would never settle.
      if (!owner.href || owner.disabled || /\balternate\b/i.test(owner.rel))
        continue
      refs.push({ owner, url: owner.href, imported: false, frozen })
    }
    walkImports(owner.sheet, 0, url => refs.push({ owner, url, imported: true, frozen }))
  }
  return refs
}

function walkImports(sheet: CSSStyleSheet | null, depth: number, visit: (url: string) => void): void {
  let rules: CSSRuleList | undefined
  try {
    rules = sheet?.cssRules
  }
  catch {
    // A cross-origin sheet without CORS: its rules are not ours to read.
  }
  if (!rules || depth > MAX_IMPORT_DEPTH)
    return
  for (const rule of rules) {
    // `@import` must come before every style rule: stop at the first one.
    if (rule instanceof CSSStyleRule)
      break
    if (rule instanceof CSSImportRule) {
      try {
        visit(new URL(rule.href, sheet!.href ?? document.baseURI).href)
      }
      catch {}
      walkImports(rule.styleSheet, depth + 1, visit)
    }
  }
}
