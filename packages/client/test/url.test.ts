import { describe, expect, it } from 'vitest'
import { bustUrl, changedPath, commonTrailing, eventTokens, freshToken, renamedUrl, segments, unbustUrl, unversioned, withoutDigest } from '../src/url'

describe('bustUrl', () => {
  it('adds la=<token> and keeps the hash', () => {
    expect(bustUrl('http://h/app.css', 't1')).toBe('http://h/app.css?la=t1')
    expect(bustUrl('http://h/app.css#frag', 't1')).toBe('http://h/app.css?la=t1#frag')
  })

  it('keeps every other parameter exactly as written, in order', () => {
    expect(bustUrl('http://h/app.css?v=1&theme=dark%20blue&x#h', 't')).toBe('http://h/app.css?v=1&theme=dark%20blue&x&la=t#h')
  })

  it('replaces its own parameter instead of piling up', () => {
    const once = bustUrl('http://h/app.css?v=1#h', 'a')
    expect(bustUrl(once, 'b')).toBe('http://h/app.css?v=1&la=b#h')
    expect(bustUrl('/a.css?la&lab=1', 'c')).toBe('/a.css?lab=1&la=c')
  })

  it('unbustUrl gives back what the author wrote', () => {
    expect(unbustUrl('http://h/app.css?v=1&la=x#h')).toBe('http://h/app.css?v=1#h')
    expect(unbustUrl('http://h/app.css?la=x')).toBe('http://h/app.css')
    expect(unbustUrl('http://h/app.css')).toBe('http://h/app.css')
  })
})

describe('freshToken', () => {
  it('is unique and URL-safe', () => {
    const tokens = new Set(Array.from({ length: 1000 }, freshToken))
    expect(tokens.size).toBe(1000)
    for (const token of tokens)
      expect(token).toMatch(/^[0-9a-z]+$/)
  })
})

describe('eventTokens', () => {
  it('is the event id, the same in every tab, URL-encoded; fresh without one, and for an id seen before', () => {
    const tokenOf = eventTokens()
    expect(tokenOf('mj3k2x0a1b2c-42')).toBe('mj3k2x0a1b2c-42')
    expect(tokenOf('a b&c')).toBe('a%20b%26c')
    // An event without an id of its own carries the last one: it stands for an earlier version.
    const again = tokenOf('a b&c')
    expect(again).not.toBe('a%20b%26c')
    expect(again).toMatch(/^[0-9a-z]+$/)
    // A refresh without an id takes a fresh token and forgets nothing.
    expect(tokenOf(undefined)).not.toBe(tokenOf(undefined))
    expect(tokenOf('a b&c')).not.toBe('a%20b%26c')
    expect(tokenOf('mj3k2x0a1b2c-43')).toBe('mj3k2x0a1b2c-43')
    // Another client (another tab) agrees on the same event.
    expect(eventTokens()('mj3k2x0a1b2c-43')).toBe('mj3k2x0a1b2c-43')
  })
})

describe('changedPath', () => {
  const origins = ['http://page.test:3000', 'http://127.0.0.1:35729']

  it('takes paths and same-origin URLs, ignoring query and hash', () => {
    expect(changedPath('/css/app.css', origins)).toBe('/css/app.css')
    expect(changedPath('css/app.css?v=2#x', origins)).toBe('/css/app.css')
    expect(changedPath('http://page.test:3000/a.css', origins)).toBe('/a.css')
    expect(changedPath('http://127.0.0.1:35729/b.css', origins)).toBe('/b.css')
  })

  it('ignores other origins and schemes', () => {
    expect(changedPath('http://evil.test/a.css', origins)).toBeUndefined()
    expect(changedPath('//evil.test/a.css', origins)).toBeUndefined()
    expect(changedPath('javascript:alert(1)', origins)).toBeUndefined()
    expect(changedPath('data:text/css,a{}', origins)).toBeUndefined()
  })
})

describe('commonTrailing', () => {
  it('counts shared trailing segments, decoded', () => {
    expect(commonTrailing(segments('/base/css/app.css'), segments('/css/app.css'))).toBe(2)
    expect(commonTrailing(segments('/a/app.css'), segments('/b/app.css'))).toBe(1)
    expect(commonTrailing(segments('/css/app.css'), segments('/css/other.css'))).toBe(0)
    expect(commonTrailing(segments('/my%20dir/a.css'), segments('/my dir/a.css'))).toBe(2)
  })
})

describe('renamedUrl', () => {
  it('swaps the matched tail for the new name, behind a base path, keeping query and hash', () => {
    expect(renamedUrl('http://h/base/assets/app.3f2a.css?v=1#x', '/assets/app.3f2a.css', '/assets/app.9c1d.css'))
      .toBe('http://h/base/assets/app.9c1d.css?v=1#x')
  })

  it('works when only the file name matches', () => {
    expect(renamedUrl('http://cdn/static/app.1.css', '/assets/app.1.css', '/assets/app.2.css')).toBe('http://cdn/static/app.2.css')
  })

  it('gives nothing when the link is another file', () => {
    expect(renamedUrl('http://h/vendor.css', '/app.1.css', '/app.2.css')).toBeUndefined()
  })
})

describe('withoutDigest', () => {
  it('takes out the digests of Propshaft, Sprockets and content-hashed names, and nothing else', () => {
    expect(withoutDigest('application-1a2b3c4d.css')).toBe('application.css')
    expect(withoutDigest(`application-${'ab12'.repeat(16)}.css`)).toBe('application.css')
    expect(withoutDigest('app.3f2a1b9c.css')).toBe('app.css')
    expect(withoutDigest('app-3f2a1b9c.digested.css')).toBe('app.css')
    for (const name of ['theme-dark.css', 'v2-grid.css', 'app-123456.css', 'decade.css', 'app.css'])
      expect(withoutDigest(name)).toBe(name)
  })

  it('gives one key to every version of an asset', () => {
    expect(unversioned(new URL('https://x.test/assets/app-1a2b3c4d.css?v=2'))).toBe('https://x.test/assets/app.css')
    expect(unversioned(new URL('https://x.test/assets/app-9e8d7c6b.css'))).toBe('https://x.test/assets/app.css')
  })
})
