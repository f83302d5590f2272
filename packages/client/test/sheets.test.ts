import { describe, expect, it } from 'vitest'
import { SHEET_URL, trackSheet } from '../src/sheets'

describe('trackSheet', () => {
  it('stores the URL under the key every copy of the client and every frame shares', () => {
    const sheet = trackSheet({} as CSSStyleSheet, new URL('http://page.test/css/x.css'))
    expect(SHEET_URL).toBe(Symbol.for('live-assets.url'))
    expect((sheet as any)[Symbol.for('live-assets.url')]).toBe('http://page.test/css/x.css')
    // A relative URL is kept as written: the client resolves it against the adopting document.
    expect((trackSheet({} as CSSStyleSheet, '/css/y.css') as any)[SHEET_URL]).toBe('/css/y.css')
  })
})
