import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { createCssDiff } from '../src/core/shared/css-diff'

describe('createCssDiff', () => {
  it('records a baseline first, then reports only outputs whose content changed, as sorted URLs', () => {
    const diff = createCssDiff(name => `/assets/${name}`)
    expect(diff.update([{ fileName: 'b.css', source: 'b{}' }, { fileName: 'a.css', source: 'a{}' }])).toEqual({ files: [], renamed: [] })
    expect(diff.update([{ fileName: 'b.css', source: 'b{}' }, { fileName: 'a.css', source: 'a{}' }])).toEqual({ files: [], renamed: [] })
    expect(diff.update([{ fileName: 'b.css', source: 'b{color:red}' }, { fileName: 'a.css', source: Buffer.from('a{color:red}') }]))
      .toEqual({ files: ['/assets/a.css', '/assets/b.css'], renamed: [] })
  })

  it('reports a content-hashed output under its new URL, with its previous one', () => {
    const diff = createCssDiff()
    diff.update([{ fileName: 'app.1111.css', key: 'app.[hash].css', source: 'a{}' }, { fileName: 'x.2222.css', key: 'x.[hash].css', source: 'x{}' }])
    expect(diff.update([{ fileName: 'app.3333.css', key: 'app.[hash].css', source: 'a{color:red}' }, { fileName: 'x.2222.css', key: 'x.[hash].css', source: 'x{}' }]))
      .toEqual({ files: ['/app.3333.css'], renamed: [{ from: '/app.1111.css', to: '/app.3333.css' }] })
  })

  it('does not report outputs that appeared or disappeared: no page links the one, no page can load the other', () => {
    const diff = createCssDiff()
    diff.update([{ fileName: 'a.css', source: 'a{}' }])
    expect(diff.update([{ fileName: 'lazy.css', source: 'l{}' }])).toEqual({ files: [], renamed: [] })
    expect(diff.update([{ fileName: 'lazy.css', source: 'l{color:red}' }])).toEqual({ files: ['/lazy.css'], renamed: [] })
  })
})
