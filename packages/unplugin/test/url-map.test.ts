import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { directoryMount, urlsOf, watchMount } from '../src/core/url-map'

const root = path.resolve('/project')

describe('url maps', () => {
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
