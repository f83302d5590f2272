import type { Configuration } from 'webpack'
import type { DevServerInstance, DevServerMiddleware } from '../src/core/webpack-like/types'
import { describe, expect, it } from 'vitest'
import webpack from 'webpack'
import WebpackDevServer from 'webpack-dev-server'
import { ignoreStylesheetsInStatic, insertAfterSecurityChecks, patchDevServerOptions, servedByDevServer, wrapSetupMiddlewares } from '../src/core/webpack-like/dev-server'

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

  it('wrapped twice, mounts once', () => {
    let mounted = 0
    const mount = (): DevServerMiddleware => {
      mounted++
      return named('live-assets')
    }
    const setup = wrapSetupMiddlewares(wrapSetupMiddlewares(undefined, mount), mount)
    expect(names(setup([named('host-header-check')], {} as DevServerInstance))).toEqual(['host-header-check', 'live-assets'])
    expect(mounted).toBe(1)
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

describe('the dev servers of a compiler', () => {
  const quiet = { infrastructureLogging: { level: 'none' as const } }

  it('a webpack-dev-server 6 applied as a plugin is seen through its taps and gets the patched options', () => {
    const own = { static: false, hot: false }
    const server = new WebpackDevServer(own)
    const config = { ...quiet, plugins: [server], devServer: { hot: false } }
    const compiler = webpack(config)
    expect(servedByDevServer(compiler)).toBe(true)
    patchDevServerOptions(compiler, options => ({ ...options, patched: true }))
    expect(server.options).toEqual({ static: false, hot: false, patched: true })
    expect(compiler.options.devServer).toEqual({ hot: false, patched: true })
    // Nothing of the user's is modified.
    expect(own).toEqual({ static: false, hot: false })
    expect(config.devServer).toEqual({ hot: false })
  })

  it('a compiler without a dev server is not served by one, and `devServer: false` stays false', () => {
    // webpack takes `devServer: false`; the types webpack-dev-server adds to its config do not.
    const compiler = webpack({ ...quiet, devServer: false } as unknown as Configuration)
    expect(servedByDevServer(compiler)).toBe(false)
    patchDevServerOptions(compiler, options => ({ ...options, patched: true }))
    expect(compiler.options.devServer).toBe(false)
  })
})
