import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkStylesheet } from '../src/stylesheet-check'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'live-assets-css-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('checkStylesheet', () => {
  it('passes valid CSS and a missing file, and reports a syntax error with its place', async () => {
    const file = path.join(dir, 'site.css')
    await writeFile(file, '.a { color: red }\n')
    expect(await checkStylesheet(file, dir)).toBeUndefined()
    expect(await checkStylesheet(path.join(dir, 'gone.css'), dir)).toBeUndefined()
    await writeFile(file, '.a { color: red }\n.b {{\n  color: blue;\n}\n')
    expect(await checkStylesheet(file, dir)).toMatchObject({ file: 'site.css', line: 2, column: 1, source: 'css', message: expect.stringMatching(/^Unclosed block\n\n/) })
  })
})
