import type { Buffer } from 'node:buffer'
import { mkdtemp, rm, unlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createChangeCollector } from '../src/changes'
import { writeExisting as existing } from './helpers'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'live-assets-unplugin-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

function fail(error: Error): never {
  throw error
}

async function until<T>(check: () => T | undefined, timeout = 5_000): Promise<T> {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = check()
    if (value !== undefined)
      return value
    if (Date.now() > deadline)
      throw new Error('timed out')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/**
 * Runs `steps` on {@link oneFile}'s collector with its timers by hand: a report that needs no timer has happened once
 * `settled()` resolves (the pending I/O and promises are done).
 */
async function byHand(steps: (file: Awaited<ReturnType<typeof oneFile>>, settled: () => Promise<void>) => Promise<void>): Promise<void> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  const file = await oneFile()
  try {
    await steps(file, () => new Promise(resolve => setImmediate(resolve)))
  }
  finally {
    vi.useRealTimers()
    await file.collector.close()
  }
}

/** A collector primed with one existing file, `a.css`. */
async function oneFile(): Promise<{ a: string, reports: string[][], collector: ReturnType<typeof createChangeCollector> }> {
  const a = path.join(dir, 'a.css')
  await existing(a, 'a{}')
  const reports: string[][] = []
  const collector = createChangeCollector({ onChange: files => void reports.push(files), onError: fail })
  await collector.prime([a])
  return { a, reports, collector }
}

describe('createChangeCollector', () => {
  it('reports a save after a quiet window at once, batches what follows it, and stays quiet for saves that change nothing', async () => {
    const a = path.join(dir, 'a.css')
    const b = path.join(dir, 'b.css')
    const c = path.join(dir, 'c.css')
    await Promise.all([existing(a, 'a{}'), existing(b, 'b{}'), existing(c, 'c{}')])
    const reports: string[][] = []
    // A long window: the first report must not wait for it.
    const collector = createChangeCollector({ debounceMs: 2000, onChange: files => void reports.push(files), onError: fail })
    await collector.prime([a, b, c])

    const savedAt = Date.now()
    await writeFile(b, 'b{color:red}')
    collector.add(b)
    expect(await until(() => reports[0])).toEqual([b])
    expect(Date.now() - savedAt).toBeLessThan(1000)

    await writeFile(c, 'c{color:red}')
    collector.add(c)
    await writeFile(a, 'a{color:red}')
    collector.add(a)
    collector.add(b)
    expect(await until(() => reports[1], 10_000)).toEqual([a, c])

    collector.add(a)
    collector.add(b)
    await writeFile(b, 'b{color:blue}')
    collector.add(b)
    await until(() => reports[2], 10_000)
    expect(reports).toEqual([[b], [a, c], [b]])
    await collector.close()
  })

  it('reads a file that is empty right after a change again shortly, and reports its final content once', async () => {
    const { a, reports, collector } = await oneFile()
    // The moment between an editor's truncate and its write.
    await writeFile(a, '')
    collector.add(a)
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(reports).toEqual([])
    await writeFile(a, 'a{color:red}')
    expect(await until(() => reports[0])).toEqual([a])
    await new Promise(resolve => setTimeout(resolve, 150))
    expect(reports).toEqual([[a]])
    await collector.close()
  })

  it('still reports a file that was really emptied', async () => {
    const { a, reports, collector } = await oneFile()
    await writeFile(a, '')
    collector.add(a)
    expect(await until(() => reports[0])).toEqual([a])
    await collector.close()
  })

  it('reads a file again after chokidar\'s throttle window, so a second quick save without an event is not lost', async () => {
    const { a, reports, collector } = await oneFile()
    await writeFile(a, 'a{color:red}')
    collector.add(a)
    await until(() => reports[0])
    // chokidar swallows the event of this save
    await writeFile(a, 'a{color:blue}')
    expect(await until(() => reports[1])).toEqual([a])
    collector.close()
  })

  it('hands on the bytes it hashed for a small batch (none for a deleted file), so that they are not read again', async () => {
    const { a, collector } = await oneFile()
    const b = path.join(dir, 'b.css')
    await existing(b, 'b{}')
    const reports: [string[], ReadonlyMap<string, Buffer>][] = []
    const watched = createChangeCollector({ onChange: (files, contents) => void reports.push([files, contents]), onError: fail })
    await watched.prime([a, b])
    await collector.close()

    await writeFile(a, 'a{color:red}')
    await unlink(b)
    watched.add(b)
    watched.add(a)
    await until(() => reports[1])
    expect(reports.map(([files, contents]) => [files, [...contents].map(([file, content]) => [file, content.toString()])])).toEqual([
      [[b], []],
      [[a], [[a, 'a{color:red}']]],
    ])
    await watched.close()
  })

  it('hands on no content for a file read empty: a save caught between truncate and write is read again by its consumer', async () => {
    const { a, collector } = await oneFile()
    await collector.close()
    const reports: [string[], ReadonlyMap<string, Buffer>][] = []
    const watched = createChangeCollector({ onChange: (files, contents) => void reports.push([files, contents]), onError: fail })
    await watched.prime([a])
    await writeFile(a, '')
    watched.add(a)
    const [files, contents] = await until(() => reports[0])
    expect([files, contents.size]).toEqual([[a], 0])
    await watched.close()
  })

  it('keeps only hashes for a batch of many files (a checkout), not their contents', async () => {
    const files = Array.from({ length: 40 }, (_, i) => path.join(dir, `f${String(i).padStart(2, '0')}.css`))
    await Promise.all(files.map(file => existing(file, 'x{}')))
    const reports: [string[], ReadonlyMap<string, Buffer>][] = []
    const collector = createChangeCollector({ onChange: (changed, contents) => void reports.push([changed, contents]), onError: fail })
    await collector.prime(files)
    await Promise.all(files.map(file => writeFile(file, 'x{color:red}')))
    // Not a leading edge: the batch of all of them goes out together.
    collector.add(files[0]!)
    files.slice(1).forEach(file => collector.add(file))
    const all = await until(() => reports.find(([changed]) => changed.length === files.length - 1))
    expect(all[1].size).toBe(0)
    expect(reports.flatMap(([changed]) => changed).sort()).toEqual(files)
    await collector.close()
  })

  it('reports a deleted file once', async () => {
    const { a, reports, collector } = await oneFile()
    await unlink(a)
    collector.add(a)
    expect(await until(() => reports[0])).toEqual([a])
    collector.close()
  })

  it('reports a file saved while its watcher was starting, even when the save\'s event comes after the priming read', async () => {
    const a = path.join(dir, 'a.css')
    const b = path.join(dir, 'b.css')
    await Promise.all([existing(a, 'a{}'), existing(b, 'b{}')])
    const reports: string[][] = []
    const collector = createChangeCollector({ onChange: files => void reports.push(files), onError: fail })
    // Saved after the collector was made, before the list of existing files was read; its event is late. Stamped a
    // second later: the kernel's clock may run a tick behind, which would make it look older than the collector.
    await writeFile(b, 'b{color:red}')
    await utimes(b, new Date(Date.now() + 1000), new Date(Date.now() + 1000))
    await collector.prime([a, b])
    collector.add(b)
    expect(await until(() => reports[0])).toEqual([b])
    // a was not modified: saving it unchanged stays quiet, and b is not reported twice.
    collector.add(a)
    await new Promise(resolve => setTimeout(resolve, 150))
    expect(reports).toEqual([[b]])
    await collector.close()
  })

  it('reads the files it recorded at start again later: a save before its watcher watched the file has no event', async () => {
    await byHand(async ({ a, reports }, settled) => {
      // chokidar stat'ed the file, then the save, then its fs.watch: no event ever comes.
      await writeFile(a, 'a{color:red}')
      await vi.advanceTimersByTimeAsync(299)
      await settled()
      expect(reports).toEqual([])
      await vi.advanceTimersByTimeAsync(1)
      await settled()
      expect(reports).toEqual([[a]])
      // The later check finds nothing new.
      await vi.advanceTimersByTimeAsync(3_000)
      await settled()
      expect(reports).toEqual([[a]])
    })
  })

  it('reports a save that comes after the re-check of the one before at once, without waiting for a window', async () => {
    await byHand(async ({ a, reports, collector }, settled) => {
      await writeFile(a, 'a{color:red}')
      collector.add(a)
      await settled()
      expect(reports).toEqual([[a]])
      // Its re-check (60 ms) reads it again; a formatter's second write comes 70 ms after the save.
      vi.advanceTimersByTime(70)
      await settled()
      await writeFile(a, 'a{color:blue}')
      collector.add(a)
      await settled()
      expect(reports).toEqual([[a], [a]])
    })
  })

  it('reports a write at once when the event before it found the file empty (an async writer\'s truncate)', async () => {
    await byHand(async ({ a, reports, collector }, settled) => {
      // The truncate's event: read empty, to be read again shortly (a timer that is not run here).
      await writeFile(a, '')
      collector.add(a)
      await settled()
      expect(reports).toEqual([])
      // The write's event: nothing went out for the truncate, so it is not held back for a window.
      await writeFile(a, 'a{color:red}')
      collector.add(a)
      await settled()
      expect(reports).toEqual([[a]])
    })
  })

  it('reads a file found empty by a re-check and an event at once in one series, so a slow writer is not taken for emptying it', async () => {
    await byHand(async ({ a, reports, collector }, settled) => {
      // Truncated when the re-check of the files recorded at start reads it, and the watcher's event comes right after.
      await writeFile(a, '')
      vi.advanceTimersByTime(300)
      await settled()
      collector.add(a)
      await settled()
      // Two series would spend the 63 ms of reads in about 20 ms, then report the empty file.
      for (let ms = 0; ms < 30; ms++) {
        vi.advanceTimersByTime(1)
        await settled()
      }
      expect(reports).toEqual([])
      await writeFile(a, 'a{color:red}')
      for (let ms = 0; ms < 200; ms += 10) {
        vi.advanceTimersByTime(10)
        await settled()
      }
      expect(reports).toEqual([[a]])
    })
  })

  it('reads a file found empty in a batch held for the quiet window again too, before it counts as emptied', async () => {
    await byHand(async ({ a, reports, collector }, settled) => {
      await writeFile(a, 'a{color:red}')
      collector.add(a)
      await settled()
      // Truncated within the window the first report opened: read when the window ends, while still empty.
      await writeFile(a, '')
      collector.add(a)
      vi.advanceTimersByTime(25)
      await settled()
      expect(reports).toEqual([[a]])
      await writeFile(a, 'a{color:blue}')
      for (let ms = 0; ms < 200; ms += 10) {
        vi.advanceTimersByTime(10)
        await settled()
      }
      expect(reports).toEqual([[a], [a]])
    })
  })

  it('leaves a deletion that only its re-check sees to the watcher\'s own event (which waits out an atomic save)', async () => {
    await byHand(async ({ a, reports, collector }, settled) => {
      await writeFile(a, 'a{color:red}')
      collector.add(a)
      await settled()
      // Deleted before its re-check, and chokidar waits 100 ms before it says so.
      await unlink(a)
      vi.advanceTimersByTime(70)
      await settled()
      expect(reports).toEqual([[a]])
      collector.add(a)
      await settled()
      expect(reports).toEqual([[a], [a]])
    })
  })
})
