import type { SheetRef } from '../src/match'
import { describe, expect, it } from 'vitest'
import { bestMatches, planReload } from '../src/match'
import { renamedUrl } from '../src/url'

function link(url: string, extra: Partial<SheetRef<string>> = {}): SheetRef<string> {
  return { owner: url, url: `http://page.test${url}`, imported: false, ...extra }
}
function imported(owner: string, url: string): SheetRef<string> {
  return { owner, url: `http://page.test${url}`, imported: true }
}

describe('bestMatches', () => {
  it('picks the longest common trailing path', () => {
    const refs = [link('/a/app.css'), link('/b/app.css'), link('/static/b/app.css?v=1')]
    expect(bestMatches('/b/app.css', refs).map(r => r.owner)).toEqual(['/b/app.css', '/static/b/app.css?v=1'])
    expect(bestMatches('/x/a/app.css', refs).map(r => r.owner)).toEqual(['/a/app.css'])
  })

  it('matches behind a base path and on another origin', () => {
    const refs = [{ owner: 'cdn', url: 'http://cdn.test:8080/prefix/css/app.css', imported: false }]
    expect(bestMatches('/css/app.css', refs)).toHaveLength(1)
  })

  it('needs at least the file name', () => {
    expect(bestMatches('/css/app.css', [link('/css/other.css')])).toEqual([])
  })
})

describe('planReload', () => {
  const refs = [
    link('/css/base.css'),
    link('/css/theme.css'),
    link('/css/main.css'),
    imported('/css/main.css', '/css/partials/colors.css'),
    imported('<style>', '/css/partials/inline.css'),
    link('/css/frozen.css', { frozen: true }),
    link('/assets/app.3f2a.css'),
  ]

  it('reloads only the changed sheet', () => {
    expect(planReload(['/css/theme.css'], [], refs)).toEqual({ matched: true, jobs: [{ owner: '/css/theme.css', url: 'http://page.test/css/theme.css', imports: [] }] })
  })

  it('gives each job its owner\'s own URL (what a constructed sheet is re-fetched from), never an imported one', () => {
    const sheet = { adopted: true }
    const own = [{ owner: sheet, url: 'http://page.test/css/adopted.css', imported: false }, { owner: sheet, url: 'http://page.test/css/adopted.css', imported: false }]
    expect(planReload(['/css/adopted.css'], [], own).jobs).toEqual([{ owner: sheet, url: 'http://page.test/css/adopted.css', imports: [] }])
    expect(planReload(['/css/partials/colors.css'], [], refs).jobs[0].url).toBeUndefined()
  })

  it('reloads the owner of an imported partial and lists the partial', () => {
    expect(planReload(['/css/partials/colors.css', '/css/partials/inline.css'], [], refs).jobs).toEqual([
      { owner: '/css/main.css', imports: ['http://page.test/css/partials/colors.css'] },
      { owner: '<style>', imports: ['http://page.test/css/partials/inline.css'] },
    ])
  })

  it('points a renamed output at its new URL', () => {
    const plan = planReload(['/assets/app.9c1d.css'], [{ from: '/assets/app.3f2a.css', to: '/assets/app.9c1d.css' }], refs, renamedUrl)
    expect(plan).toEqual({ matched: true, jobs: [{ owner: '/assets/app.3f2a.css', url: 'http://page.test/assets/app.3f2a.css', href: 'http://page.test/assets/app.9c1d.css', imports: [] }] })
  })

  it('never touches data-no-reload, yet counts it as matched (no fallback)', () => {
    expect(planReload(['/css/frozen.css'], [], refs)).toEqual({ matched: true, jobs: [] })
    expect(planReload([], [], refs).jobs.map(j => j.owner)).not.toContain('/css/frozen.css')
  })

  it('reloads everything for an empty list, imports included', () => {
    const plan = planReload([], [], refs)
    expect(plan.matched).toBe(true)
    expect(plan.jobs.map(j => j.owner)).toEqual(['/css/base.css', '/css/theme.css', '/css/main.css', '<style>', '/assets/app.3f2a.css'])
    expect(plan.jobs.find(j => j.owner === '<style>')!.imports).toEqual(['http://page.test/css/partials/inline.css'])
  })

  it('reports no match so the caller can fall back', () => {
    expect(planReload(['/css/missing.css'], [], refs)).toEqual({ matched: false, jobs: [] })
  })
})

describe('fingerprinted names', () => {
  it('match the changed file once their digests are taken out, and say so', () => {
    const refs = [link('/assets/application-1a2b3c4d.css'), imported('/assets/application-1a2b3c4d.css', '/assets/partials/theme-9f8e7d6c.css'), link('/assets/admin-0123456.css')]
    const plan = planReload(['/assets/application.css'], [], refs)
    expect(plan.jobs).toEqual([{ owner: '/assets/application-1a2b3c4d.css', url: 'http://page.test/assets/application-1a2b3c4d.css', imports: [], fingerprinted: true }])
    const partial = planReload(['/assets/partials/theme.css'], [], refs)
    expect(partial.jobs).toEqual([{ owner: '/assets/application-1a2b3c4d.css', imports: ['http://page.test/assets/partials/theme-9f8e7d6c.css'], fingerprinted: true }])
  })

  it('prefer an exact name, which is no fingerprint', () => {
    const refs = [link('/css/app.css'), link('/css/app-1a2b3c4d.css')]
    expect(planReload(['/css/app.css'], [], refs).jobs.map(job => [job.owner, job.fingerprinted])).toEqual([['/css/app.css', undefined]])
  })
})
