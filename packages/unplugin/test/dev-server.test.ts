import type { DevServerInstance, DevServerMiddleware } from '../src/core/webpack-like/types'
import { describe, expect, it } from 'vitest'
import { ignoreStylesheetsInStatic, insertAfterSecurityChecks, wrapSetupMiddlewares } from '../src/core/webpack-like/dev-server'

const named = (name: string): DevServerMiddleware => ({ name, middleware: () => {} })
const names = (list: DevServerMiddleware[]): string[] => list.map(m => typeof m === 'function' ? 'fn' : m.name ?? '?')

describe('insertAfterSecurityChecks', () => {
  it('goes after the Host and cross-origin checks, before compression', () => {
    const list = ['host-header-check', 'cross-origin-header-check', 'compression', 'webpack-dev-middleware'].map(named)
    expect(names(insertAfterSecurityChecks(list, named('live-assets'))))
      .toEqual(['host-header-check', 'cross-origin-header-check', 'live-assets', 'compression', 'webpack-dev-middleware'])
  })

  it('goes first when there is no check to follow', () => {
    expect(names(insertAfterSecurityChecks([named('compression')], named('live-assets')))).toEqual(['live-assets', 'compression'])
  })
})

describe('wrapSetupMiddlewares', () => {
  it('runs the user\'s function first and keeps what it returned', () => {
    const devServer = {} as DevServerInstance
    const setup = wrapSetupMiddlewares((list, server) => {
      expect(server).toBe(devServer)
      return [named('auth'), ...list]
    }, () => named('live-assets'))
    expect(names(setup([named('host-header-check'), named('compression')], devServer))).toEqual(['auth', 'host-header-check', 'live-assets', 'compression'])
  })
})

describe('ignoreStylesheetsInStatic', () => {
  const ignores = (item: unknown, file: string): boolean =>
    ((item as { watch: { ignored: Array<(file: string) => boolean> } }).watch.ignored).some(matcher => typeof matcher === 'function' && matcher(file))

  it('keeps the default static directory and ignores its stylesheets, images and source maps', () => {
    const item = ignoreStylesheetsInStatic(undefined)
    expect(item).toMatchObject({ watch: {} })
    expect(item).not.toHaveProperty('directory')
    expect(ignores(item, '/p/public/app.css')).toBe(true)
    expect(ignores(item, '/p/public/logo.png')).toBe(true)
    expect(ignores(item, '/p/public/index.html')).toBe(false)
    expect(ignores(item, '/p/public/app.css.map')).toBe(true)
  })

  it('handles a string, a list, `false` and an unwatched directory, and keeps the user\'s own ignores', () => {
    expect(ignoreStylesheetsInStatic(false)).toBe(false)
    expect(ignoreStylesheetsInStatic('static')).toMatchObject({ directory: 'static' })
    const user = /\.tmp$/
    const [a, b, c] = ignoreStylesheetsInStatic(['a', { directory: 'b', watch: { ignored: user, usePolling: true } }, { directory: 'c', watch: false }]) as unknown[]
    expect(ignores(a, 'a/x.css')).toBe(true)
    expect(b).toMatchObject({ directory: 'b', watch: { usePolling: true } })
    expect((b as { watch: { ignored: unknown[] } }).watch.ignored[0]).toBe(user)
    expect(c).toEqual({ directory: 'c', watch: false })
  })
})
