import { describe, expect, it } from 'vitest'
import { resolveOptions } from '../src/core/shared/options'

describe('resolveOptions', () => {
  it('has the documented defaults', () => {
    expect(resolveOptions()).toEqual({
      watch: undefined,
      nonce: undefined,
      allowedHosts: [],
      debug: false,
      server: {
        base: '/__live_assets',
        heartbeatMs: 45_000,
        allowedOrigins: [],
        loopbackOrigins: true,
        client: { fallback: 'stylesheets', overlay: true, debug: false },
      },
      standalone: { port: 35729, host: '127.0.0.1', strictPort: false, publicPath: '/', reload: [] },
    })
  })

  it('normalises without touching the caller\'s object', () => {
    const options = Object.freeze({
      base: 'live/',
      watch: Object.freeze({ paths: 'assets/**/*.css', urlBase: 'assets/' }),
      allowedOrigins: Object.freeze(['http://localhost:3000/']) as string[],
      overlay: false,
      debug: true,
    })
    const resolved = resolveOptions(options)
    expect(resolved.server.base).toBe('/live')
    expect(resolved.server.allowedOrigins).toEqual(['http://localhost:3000'])
    expect(resolved.server.client).toEqual({ fallback: 'stylesheets', overlay: false, debug: true })
    expect(resolved.watch).toEqual({ paths: ['assets/**/*.css'], root: undefined, urlBase: '/assets' })
  })

  it('returns a frozen result: nothing changes after resolution', () => {
    const resolved = resolveOptions({ watch: 'a/*.css', allowedOrigins: ['http://myapp.test'], allowedHosts: ['myapp.test'] })
    for (const part of [resolved, resolved.server, resolved.server.client, resolved.server.allowedOrigins, resolved.allowedHosts, resolved.standalone, resolved.watch])
      expect(Object.isFrozen(part)).toBe(true)
    expect(() => (resolved.server.allowedOrigins as string[]).push('http://evil.example')).toThrow(TypeError)
  })

  it('takes the core\'s option types as they are, read-only lists included', () => {
    const origins = ['http://myapp.test'] as const
    expect(resolveOptions({ allowedOrigins: origins, allowedHosts: ['MyApp.test'] as const })).toMatchObject({
      allowedHosts: ['myapp.test'],
      server: { allowedOrigins: ['http://myapp.test'] },
    })
  })

  it('takes a glob or a list of globs for watch', () => {
    expect(resolveOptions({ watch: 'a/*.css' }).watch).toEqual({ paths: ['a/*.css'], root: undefined, urlBase: '/' })
    expect(resolveOptions({ watch: ['a/*.css', '!a/x.css'] }).watch?.paths).toEqual(['a/*.css', '!a/x.css'])
  })

  it('refuses bad values with a message that names the option', () => {
    expect(() => resolveOptions({ fallback: 'sometimes' as never })).toThrow(/\[live-assets\] client\.fallback/)
    expect(() => resolveOptions({ heartbeatMs: -1 })).toThrow(/\[live-assets\] heartbeatMs/)
    expect(() => resolveOptions({ base: '/' })).toThrow(/\[live-assets\] base/)
    expect(() => resolveOptions({ allowedOrigins: ['localhost'] })).toThrow(/\[live-assets\] allowedOrigins/)
    expect(() => resolveOptions({ watch: [] })).toThrow(/\[live-assets\] watch must be/)
    expect(() => resolveOptions({ watch: '!a.css' })).toThrow(/\[live-assets\] watch has only exclusions/)
    expect(() => resolveOptions({ watch: { paths: 'a.css', urlBase: '/a?b' } })).toThrow(/\[live-assets\] watch\.urlBase/)
    // A nonce lands inside an HTML attribute: a quote or a space must never get there.
    expect(() => resolveOptions({ nonce: 'a" onload="x' })).toThrow(/\[live-assets\] nonce must be/)
    expect(resolveOptions({ nonce: 'rAnd0m+/=' }).nonce).toBe('rAnd0m+/=')
  })
})
