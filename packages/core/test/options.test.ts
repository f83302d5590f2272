import { describe, expect, it } from 'vitest'
import { createHandler, resolveEndpointOptions, resolveOptions, silentLogger } from '../src'
import { isResolvedOptions } from '../src/options'
import { isAllowedHost } from '../src/security'

describe('resolveOptions', () => {
  it('fills every default', () => {
    const resolved = resolveOptions({ logger: silentLogger })
    expect(resolved).toMatchObject({
      base: '/__live_assets',
      heartbeatMs: 45_000,
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

  it('returns a frozen result: nothing changes after resolution', () => {
    const resolved = resolveOptions({ logger: silentLogger, allowedOrigins: ['http://localhost:3000'], allowedHosts: ['dev.test'] })
    expect(Object.isFrozen(resolved)).toBe(true)
    expect(Object.isFrozen(resolved.client)).toBe(true)
    expect(() => (resolved.allowedOrigins as string[]).push('http://evil.example')).toThrow(TypeError)
    expect(() => (resolved.allowedHosts as string[]).push('evil.example')).toThrow(TypeError)
    expect(resolved.allowedOrigins).toEqual(['http://localhost:3000'])
  })

  it('marks what it resolved, so createHandler() takes it as it is; a copy is resolved again', () => {
    const resolved = resolveOptions({ logger: silentLogger })
    expect(isResolvedOptions(resolved)).toBe(true)
    expect(isResolvedOptions({ ...resolved })).toBe(false)
    // A user option that merely has the same field names as a resolved object is still resolved.
    expect(isResolvedOptions({ tokenGenerated: true })).toBe(false)
    const handler = createHandler(resolved)
    expect(handler.options).toBe(resolved)
    handler.close()
    const fromCopy = createHandler({ ...resolved, base: 'copy/' })
    expect(fromCopy.options.base).toBe('/copy')
    fromCopy.close()
  })

  it('resolves a handler\'s user options once: the token is generated only when none was given', () => {
    const given = createHandler({ logger: silentLogger, token: 'mine' })
    expect(given.options).toMatchObject({ token: 'mine', tokenGenerated: false })
    given.close()
    const generated = createHandler({ logger: silentLogger })
    expect(generated.options.tokenGenerated).toBe(true)
    expect(isResolvedOptions(generated.options)).toBe(true)
    generated.close()
  })

  it('checks every option but the token, the logger and the bus with resolveEndpointOptions(), without touching them', () => {
    const input = Object.freeze({ base: 'live', heartbeatMs: 500, client: Object.freeze({ overlay: false }) })
    const endpoint = resolveEndpointOptions(input)
    const { token: _token, tokenGenerated: _generated, logger: _logger, bus: _bus, requireBus: _requireBus, ...full } = resolveOptions({ ...input, logger: silentLogger })
    expect(endpoint).toEqual(full)
    expect(endpoint).toMatchObject({ base: '/live', heartbeatMs: 500, client: { fallback: 'stylesheets', overlay: false, debug: false } })
    expect(endpoint).not.toHaveProperty('token')
    expect(endpoint).not.toHaveProperty('logger')
    expect(Object.isFrozen(endpoint)).toBe(true)
    expect(() => resolveEndpointOptions({ heartbeatMs: -1 })).toThrow(/^\[live-assets\] heartbeatMs/)
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
