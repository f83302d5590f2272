import type { ChangeBatch, Publisher } from '../src/publisher'
import { Buffer } from 'node:buffer'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../src/logger'
import { directoryMount } from '../src/mounts'
import { createFilePublisher } from '../src/publisher'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'live-assets-publisher-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

/** A Publisher that records what a batch of saved files turned into: errors by their first line, and batches. */
function recorder(claim: Publisher['claim'] = async keys => new Set(keys)): { publisher: Publisher, events: unknown[] } {
  const events: unknown[] = []
  const publisher: Publisher = {
    claim,
    reloadCSS: files => void events.push(['reloadCSS', files]),
    reloadAssets: files => void events.push(['reloadAssets', files]),
    setError: (_source, error) => void events.push(['error', error?.message.split('\n')[0]]),
    changed: (batch: ChangeBatch) => void events.push(['changed', batch]),
  }
  return { publisher, events }
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

describe('createFilePublisher', () => {
  it('publishes only the files whose version it claimed, with their mtime and hash', async () => {
    const [mine, theirs] = [path.join(dir, 'mine.css'), path.join(dir, 'theirs.css')]
    await writeFile(mine, '.a { color: red }\n')
    await writeFile(theirs, '.b { color: red }\n')
    const asked: unknown[] = []
    const { publisher, events } = recorder(async (_keys, versions) => {
      asked.push(Object.fromEntries(versions()))
      return new Set(['/mine.css'])
    })
    const publish = createFilePublisher(publisher, { mounts: [directoryMount(dir, '/')], cwd: dir, logger: silentLogger })
    publish([mine, theirs], undefined, new Map([[mine, 'hash-of-mine']]))
    await until(() => events.find(event => (event as string[])[0] === 'changed'))
    expect(asked).toEqual([{
      '/mine.css': { mtimeMs: expect.any(Number), digest: 'hash-of-mine' },
      '/theirs.css': { mtimeMs: expect.any(Number), digest: 'unhashed' },
    }])
    // The other process checks its file: an error this one had for it is resolved here, not published again.
    expect(events).toEqual([['error', undefined], ['error', undefined], ['changed', { css: ['/mine.css'], images: [] }]])
  })

  it('checks the content it is handed, not the file as it is now, and reads the file when it is handed none', async () => {
    const file = path.join(dir, 'site.css')
    await writeFile(file, '.a { color: red }\n')
    const { publisher, events } = recorder()
    const publish = createFilePublisher(publisher, { mounts: [directoryMount(dir, '/')], cwd: dir, logger: silentLogger })

    publish([file], new Map([[file, Buffer.from('.a {{\n')]]))
    publish([file], new Map([[file, '.a { color: blue }\n']]))
    publish([file])
    await until(() => events[5])
    expect(events).toEqual([
      ['error', 'Unclosed block'],
      ['changed', { css: [], images: [] }],
      ['error', undefined],
      ['changed', { css: ['/site.css'], images: [] }],
      ['error', undefined],
      ['changed', { css: ['/site.css'], images: [] }],
    ])
  })
})
