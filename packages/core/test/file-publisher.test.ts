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
function recorder(): { publisher: Publisher, events: unknown[] } {
  const events: unknown[] = []
  const publisher: Publisher = {
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
