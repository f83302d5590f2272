import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createChangeCollector } from '../src/changes'

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

/** A collector primed with one existing file, `a.css`. */
async function oneFile(): Promise<{ a: string, reports: string[][], collector: ReturnType<typeof createChangeCollector> }> {
  const a = path.join(dir, 'a.css')
  await writeFile(a, 'a{}')
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
    await Promise.all([writeFile(a, 'a{}'), writeFile(b, 'b{}'), writeFile(c, 'c{}')])
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

  it('reports a deleted file once', async () => {
    const { a, reports, collector } = await oneFile()
    await unlink(a)
    collector.add(a)
    expect(await until(() => reports[0])).toEqual([a])
    collector.close()
  })
})
