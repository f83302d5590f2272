import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { directoryMount, fileToUrlPath, globBase, isWithin, matcher, urlsOf, watchMount } from '../src/mounts'

describe('fileToUrlPath', () => {
  it('maps a file under the root below the URL base', () => {
    expect(fileToUrlPath('/abs/app/assets/css/a.css', '/abs/app/assets', '/assets')).toBe('/assets/css/a.css')
    expect(fileToUrlPath('/abs/app/assets/a.css', '/abs/app/assets/', 'assets/')).toBe('/assets/a.css')
    expect(fileToUrlPath('/abs/app/a.css', '/abs/app', '/')).toBe('/a.css')
    expect(fileToUrlPath('/abs/app/a.css', '/abs/app', '')).toBe('/a.css')
    expect(fileToUrlPath('/abs/app/a.css', '/abs/app', '//static//')).toBe('/static/a.css')
    expect(fileToUrlPath('/abs/app/my sheets/a b#1.css', '/abs/app', '/')).toBe('/my%20sheets/a%20b%231.css')
  })

  it('maps a file outside the root, or the root itself, to its basename', () => {
    expect(fileToUrlPath('/abs/other/b.css', '/abs/app/assets', '/assets')).toBe('/assets/b.css')
    expect(fileToUrlPath('/abs/app/assets-old/b.css', '/abs/app/assets', '/assets')).toBe('/assets/b.css')
    expect(fileToUrlPath('/abs/app/a.css', '/abs/app/a.css', '/assets')).toBe('/assets/a.css')
  })

  it('reads Windows backslashes as separators', () => {
    expect(fileToUrlPath('C:\\app\\assets\\css\\a.css', 'C:\\app\\assets', '\\assets\\')).toBe('/assets/css/a.css')
    expect(fileToUrlPath('D:\\other\\b.css', 'C:\\app\\assets', '/assets')).toBe('/assets/b.css')
  })
})

describe('globBase', () => {
  it('returns the static directory of a glob, resolved against cwd', () => {
    expect(globBase('src/**/*.css', '/app')).toBe(path.resolve('/app/src'))
    expect(globBase('**/*.css', '/app')).toBe(path.resolve('/app'))
    expect(globBase('src/{a,b}/*.css', '/app')).toBe(path.resolve('/app/src'))
    expect(globBase('/abs/styles/*.css', '/app')).toBe(path.resolve('/abs/styles'))
  })

  it('returns a plain path as is', () => {
    expect(globBase('assets', '/app')).toBe(path.resolve('/app/assets'))
    expect(globBase('./assets/', '/app')).toBe(path.resolve('/app/assets'))
    expect(globBase('.', '/app')).toBe(path.resolve('/app'))
  })

  it('reads Windows backslashes as separators', () => {
    expect(globBase('src\\css\\*.css', '/app')).toBe(path.resolve('/app/src/css'))
  })
})

describe('matcher', () => {
  const named = matcher(['assets/**/*.css', 'views', '!assets/vendor/**'], '/app')

  it('matches globs and everything under a plain path, relative to cwd or absolute, dotfiles included', () => {
    expect(named('/app/assets/a.css')).toBe(true)
    expect(named('assets/sub/.hidden.css')).toBe(true)
    expect(named('/app/views/index.html')).toBe(true)
    expect(named('/app/assets/a.js')).toBe(false)
  })

  it('skips exclusions, and node_modules or .git below a base', () => {
    expect(named('/app/assets/vendor/x.css')).toBe(false)
    expect(named('/app/assets/node_modules/x.css')).toBe(false)
    expect(matcher('node_modules/pkg/*.css', '/app')('/app/node_modules/pkg/a.css')).toBe(true)
  })

  it('matches nothing for an empty list', () => {
    expect(matcher([], '/app')('/app/a.css')).toBe(false)
  })
})

describe('mounts', () => {
  it('a directory mount takes its stylesheets and images, nothing else and nothing outside', () => {
    const mount = directoryMount('/app/public', '/static')
    expect(['/app/public/a.css', '/app/public/img/b.png', '/app/public/c.js', '/app/publicity/d.css'].map(mount.includes)).toEqual([true, true, false, false])
  })

  it('a watch mount matches as the watcher does, with its root from the first path', () => {
    const mount = watchMount({ paths: ['!assets/vendor', 'assets/**/*.{css,svg}'], urlBase: '/assets' }, '/app')
    expect(mount.root).toBe(path.resolve('/app/assets'))
    expect(mount.watch).toEqual(['!/app/assets/vendor', '/app/assets/**/*.{css,svg}'])
    expect(['/app/assets/a.css', '/app/assets/i/b.svg', '/app/assets/vendor/c.css', '/app/assets/d.map'].map(mount.includes)).toEqual([true, true, false, false])
  })

  it('a file gets one URL per mount that includes it', () => {
    const mounts = [directoryMount('/app/public', '/'), watchMount({ paths: 'public/css', urlBase: '/styles' }, '/app')]
    expect(urlsOf('/app/public/css/a.css', mounts)).toEqual(['/css/a.css', '/styles/a.css'])
    expect(urlsOf('/app/public/a.css', mounts)).toEqual(['/a.css'])
  })

  it('a path is within itself and its parents only', () => {
    expect([isWithin('/a', '/a'), isWithin('/a', '/a/b'), isWithin('/a', '/ab'), isWithin('/a/b', '/a')]).toEqual([true, true, false, false])
  })
})

describe('url maps', () => {
  const root = path.resolve('/project')
  it('maps the stylesheets and images of a directory under its URL base, not its other files', () => {
    const mount = directoryMount(path.join(root, 'public'), '/app/')
    expect(urlsOf(path.join(root, 'public/css/site.css'), [mount])).toEqual(['/app/css/site.css'])
    expect(urlsOf(path.join(root, 'public/img/logo.svg'), [mount])).toEqual(['/app/img/logo.svg'])
    expect(urlsOf(path.join(root, 'public/css/site.css.map'), [mount])).toEqual([])
    expect(urlsOf(path.join(root, 'public/robots.txt'), [mount])).toEqual([])
    expect(urlsOf(path.join(root, 'src/a.css'), [mount])).toEqual([])
  })

  it('maps `watch` globs from their static part, honours exclusions, and accepts plain directories', () => {
    const mount = watchMount({ paths: ['backend/assets/**/*.css', '!backend/assets/vendor'], root: undefined, urlBase: '/assets' }, root)
    expect(urlsOf(path.join(root, 'backend/assets/app.css'), [mount])).toEqual(['/assets/app.css'])
    expect(urlsOf(path.join(root, 'backend/assets/vendor/x.css'), [mount])).toEqual([])
    const plain = watchMount({ paths: ['dist/css'], root: 'dist', urlBase: '/' }, root)
    expect(urlsOf(path.join(root, 'dist/css/a b.css'), [plain])).toEqual(['/css/a%20b.css'])
  })

  it('gives one URL per mount that serves the file', () => {
    const a = directoryMount(path.join(root, 'static'), '/')
    const b = directoryMount(path.join(root, 'static'), '/static')
    expect(urlsOf(path.join(root, 'static/x.css'), [a, b])).toEqual(['/x.css', '/static/x.css'])
  })
})
