import { describe, expect, it } from 'vitest'
import { resolveOptions, silentLogger } from '../src'
import { isAllowedHost } from '../src/security'

describe('resolveOptions', () => {
  it('fills every default', () => {
    const resolved = resolveOptions({ logger: silentLogger })
    expect(resolved).toMatchObject({
      base: '/__live_assets',
      heartbeatMs: 10_000,
      retryMs: 1000,
      replay: 100,
      maxBufferedBytes: 1024 * 1024,
      maxSubscribers: Infinity,
      allowedHosts: [],
      allowedOrigins: [],
      tokenGenerated: true,
      client: { fallback: 'stylesheets', overlay: true, debug: false },
    })
  })

  it('normalises base paths and origins, and never mutates its input', () => {
    const input = Object.freeze({ base: 'live//', allowedOrigins: Object.freeze(['http://LOCALHOST:3000/path']) as string[], allowedHosts: ['Dev.Test'] })
    const resolved = resolveOptions(input)
    expect(resolved.base).toBe('/live')
    expect(resolved.allowedOrigins).toEqual(['http://localhost:3000'])
    expect(resolved.allowedHosts).toEqual(['dev.test'])
  })

  it.each([
    [{ base: '/' }, /base must be a URL path/],
    [{ heartbeatMs: 0 }, /heartbeatMs must be a positive number; got 0/],
    [{ replay: -1 }, /replay must be a non-negative number/],
    [{ allowedOrigins: ['localhost:3000'] }, /allowedOrigins entries must be origins/],
    [{ client: { fallback: 'reload' as any } }, /client.fallback must be one of stylesheets, page, none/],
  ])('refuses %j with a clear error', (options, message) => {
    expect(() => resolveOptions(options)).toThrow(message)
    expect(() => resolveOptions(options)).toThrow(/^\[live-assets\]/)
  })
})

describe('isAllowedHost', () => {
  it.each([
    ['localhost:5173', true],
    ['LOCALHOST', true],
    ['127.0.0.1:80', true],
    ['[::1]:3000', true],
    ['a.b.localhost', true],
    ['localhost.evil.example', false],
    ['127.0.0.2', false],
    ['evil.example', false],
    ['', false],
    ['dev.test', true],
    ['sub.dev.test', false],
  ])('%s -> %s', (host, expected) => {
    expect(isAllowedHost(host, ['dev.test'])).toBe(expected)
  })

  it('a leading dot allows subdomains; true allows everything', () => {
    expect(isAllowedHost('a.dev.test', ['.dev.test'])).toBe(true)
    expect(isAllowedHost('evil.example', true)).toBe(true)
  })
})
