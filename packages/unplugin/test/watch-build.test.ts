import type { ChangeBatch } from '@live-assets/core'
import type { StandaloneLease } from '../src/core/shared/standalone'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resolveOptions } from '../src/core/shared/options'
import { createWatchBuild, EMPTIED_WAIT_MS } from '../src/core/shared/watch-build'

/** Pure logic: a lease that records what would be published. The real builds are in watch-builds.test.ts. */
function recordingLease(): StandaloneLease & { batches: ChangeBatch[] } {
  const batches: ChangeBatch[] = []
  return {
    batches,
    url: 'http://127.0.0.1:1',
    clientUrl: 'http://127.0.0.1:1/__live_assets/client.js',
    events: { changed: (batch: ChangeBatch) => void batches.push(batch), setError() {} } as unknown as StandaloneLease['events'],
    logger: { info() {}, debug() {}, warn() {}, error() {} },
    release() {},
  }
}

const sheets = (batches: ChangeBatch[]): string[][] => batches.map(batch => batch.css ?? []).filter(css => css.length)

describe('a watch-mode build that empties a stylesheet', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('publishes only the next build\'s version when that build follows at once (a source read between its truncate and its write)', () => {
    const lease = recordingLease()
    const build = createWatchBuild(lease, resolveOptions({ publicPath: '/' }), 'test')
    build.written('/out', [{ fileName: 'a.css', source: 'a{color:red}' }, { fileName: 'b.css', source: 'b{color:red}' }])
    build.written('/out', [{ fileName: 'a.css', source: '' }, { fileName: 'b.css', source: 'b{color:blue}' }])
    expect(sheets(lease.batches)).toEqual([['/b.css']])
    vi.advanceTimersByTime(EMPTIED_WAIT_MS - 1)
    build.written('/out', [{ fileName: 'a.css', source: 'a{color:green}' }, { fileName: 'b.css', source: 'b{color:blue}' }])
    vi.advanceTimersByTime(EMPTIED_WAIT_MS)
    expect(sheets(lease.batches)).toEqual([['/b.css'], ['/a.css']])
  })

  it('publishes a sheet emptied for real: once the wait is over, or with the next build if it is still empty', () => {
    const lease = recordingLease()
    const build = createWatchBuild(lease, resolveOptions({ publicPath: '/' }), 'test')
    build.written('/out', [{ fileName: 'a.css', source: 'a{color:red}' }, { fileName: 'b.css', source: 'b{color:red}' }])
    build.written('/out', [{ fileName: 'a.css', source: '' }, { fileName: 'b.css', source: 'b{color:red}' }])
    expect(sheets(lease.batches)).toEqual([])
    vi.advanceTimersByTime(EMPTIED_WAIT_MS)
    expect(sheets(lease.batches)).toEqual([['/a.css']])

    build.written('/out', [{ fileName: 'a.css', source: 'a{}' }, { fileName: 'b.css', source: '' }])
    build.written('/out', [{ fileName: 'a.css', source: 'a{color:blue}' }, { fileName: 'b.css', source: '' }])
    expect(sheets(lease.batches)).toEqual([['/a.css'], ['/a.css'], ['/a.css', '/b.css']])
    vi.advanceTimersByTime(EMPTIED_WAIT_MS)
    expect(sheets(lease.batches)).toHaveLength(3)
  })
  it('holds each output directory\'s emptied sheets apart: a build of another directory neither publishes nor drops them', () => {
    const lease = recordingLease()
    const build = createWatchBuild(lease, resolveOptions({ publicPath: '/' }), 'test')
    build.written('/one', [{ fileName: 'a.css', source: 'a{color:red}' }])
    build.written('/two', [{ fileName: 'b.css', source: 'b{color:red}' }])
    build.written('/one', [{ fileName: 'a.css', source: '' }])
    build.written('/two', [{ fileName: 'b.css', source: 'b{color:blue}' }])
    expect(sheets(lease.batches)).toEqual([['/b.css']])
    vi.advanceTimersByTime(EMPTIED_WAIT_MS)
    expect(sheets(lease.batches)).toEqual([['/b.css'], ['/a.css']])
  })
})
