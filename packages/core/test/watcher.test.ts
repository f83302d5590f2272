import type { FSWatcher } from 'chokidar'
import type { Watcher, WatcherOptions } from '../src/watcher'
import { mkdir, mkdtemp, realpath, rename, rm, unlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createWatcher, listWatchedFiles } from '../src/watcher'
import { writeExisting } from './helpers'

/** Polls until `predicate` holds; fails after `timeoutMs`. */
async function waitFor(predicate: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

interface Harness {
  dir: string
  calls: string[][]
  warnings: string[]
  watcher: Watcher
  /** Absolute path of a file in the temp directory. */
  at: (name: string) => string
  write: (name: string, content: string) => Promise<void>
  /** Resolves with the next call that contains `name`. */
  nextCallWith: (name: string) => Promise<string[]>
  /** Files reported so far, flattened and relative to the temp directory. */
  reported: () => string[]
}

const cleanups: Array<() => Promise<void>> = []

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map(cleanup => cleanup()))
})

async function setup(files: Record<string, string>, options: Partial<WatcherOptions> = {}): Promise<Harness> {
  // realpath: macOS hands out /var/... for what chokidar reports as /private/var/...
  const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'live-assets-watcher-')))
  const at = (name: string): string => path.join(dir, name)
  const write = async (name: string, content: string): Promise<void> => {
    await mkdir(path.dirname(at(name)), { recursive: true })
    await writeFile(at(name), content)
  }
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(at(name)), { recursive: true })
    await writeExisting(at(name), content)
  }

  const calls: string[][] = []
  const warnings: string[] = []
  const watcher = createWatcher({
    paths: '.',
    cwd: dir,
    logger: { info() {}, warn: message => warnings.push(message), error: message => warnings.push(message) },
    onChange: changed => calls.push(changed),
    ...options,
  })
  cleanups.push(async () => {
    await watcher.close()
    await rm(dir, { recursive: true, force: true })
  })
  await watcher.ready

  const nextCallWith = async (name: string): Promise<string[]> => {
    const from = calls.length
    let found: string[] | undefined
    await waitFor(() => (found = calls.slice(from).find(call => call.includes(at(name)))) !== undefined, 3000, `a change to ${name}`)
    return found!
  }
  const reported = (): string[] => calls.flat().map(file => path.relative(dir, file))
  return { dir, calls, warnings, watcher, at, write, nextCallWith, reported }
}

/** The chokidar instances behind a watcher, which the public type does not show. */
function chokidarOf(watcher: Watcher): FSWatcher[] {
  return (watcher as unknown as Record<symbol, FSWatcher[]>)[Symbol.for('live-assets.watcher.chokidar')]!
}

/** Proves that nothing else is pending: a real edit to `name` must arrive alone. */
async function expectOnlyNext(h: Harness, name: string): Promise<void> {
  const before = h.calls.length
  const next = h.nextCallWith(name)
  await h.write(name, `/* ${Math.random()} */`)
  await next
  expect(h.calls.slice(before)).toEqual([[h.at(name)]])
}

/** Deletes `name` (or what `remove` deletes) and writes it again; both must be reported. */
async function expectDeleteAndRecreateSeen(h: Harness, name: string, remove = () => unlink(h.at(name))): Promise<void> {
  const deleted = h.nextCallWith(name)
  await remove()
  await deleted
  const recreated = h.nextCallWith(name)
  await h.write(name, `/* recreated ${Math.random()} */`)
  await recreated
}

describe.each([
  { mode: 'native events', options: {} },
  { mode: 'polling', options: { usePolling: true, pollInterval: 20 } },
])('createWatcher with $mode', ({ options }) => {
  it('reports one edit as one call with exactly that file', async () => {
    const h = await setup({ 'a.css': 'a {}', 'b.css': 'b {}' }, options)
    expect(h.calls).toEqual([])

    const started = Date.now()
    const next = h.nextCallWith('a.css')
    await h.write('a.css', 'a { color: red }')
    expect(await next).toEqual([h.at('a.css')])
    expect(Date.now() - started).toBeLessThan(2000)
    await expectOnlyNext(h, 'b.css')
  })

  it('sees an atomic save (temp file renamed over the original)', async () => {
    // Stylesheets only, as the CLI watches them: the editor's temp file is not one.
    const h = await setup({ 'a.css': 'a {}', 'b.css': 'b {}' }, { ...options, paths: '*.css' })

    const next = h.nextCallWith('a.css')
    await h.write('a.css.tmp', 'a { color: blue }')
    await rename(h.at('a.css.tmp'), h.at('a.css'))
    expect(await next).toEqual([h.at('a.css')])

    // the file is still watched after its inode changed
    await expectOnlyNext(h, 'a.css')
    await expectOnlyNext(h, 'b.css')
  })

  it('keeps watching a file that is deleted and created again', async () => {
    const h = await setup({ 'a.css': 'a {}' }, options)

    await expectDeleteAndRecreateSeen(h, 'a.css')
    await expectOnlyNext(h, 'a.css')
  })
})

describe('createWatcher', () => {
  it('coalesces a burst of 200 new files into a few calls', { timeout: 15_000 }, async () => {
    const h = await setup({ 'css/keep.css': '' })
    const names = Array.from({ length: 200 }, (_, i) => `css/burst-${i}.css`)

    await Promise.all(names.map(name => h.write(name, `.c${name} {}`)))
    await waitFor(() => new Set(h.reported()).size >= 200, 10_000, 'all 200 files')

    expect(h.calls.length).toBeLessThanOrEqual(5)
    expect(new Set(h.reported())).toEqual(new Set(names))
    for (const call of h.calls)
      expect(call).toEqual([...new Set(call)].sort())
  })

  it('reports nothing for a save that does not change the bytes', async () => {
    const h = await setup({ 'a.css': 'a {}', 'b.css': 'b {}' })

    await h.write('a.css', 'a {}')
    await expectOnlyNext(h, 'b.css')
  })

  it('sees a save that follows a reported one within chokidar\'s 50 ms change throttle', async () => {
    const h = await setup({ 'a.css': 'a {}' })

    const first = h.nextCallWith('a.css')
    await h.write('a.css', 'a { color: red }')
    await first
    const second = h.nextCallWith('a.css')
    await h.write('a.css', 'a { color: blue }')
    await second
  })

  it('reports only files that match the glob', async () => {
    const h = await setup({ 'src/a.css': 'a {}', 'src/deep/b.css': 'b {}', 'src/notes.txt': 'x' }, { paths: 'src/**/*.css' })

    await h.write('src/notes.txt', 'y')
    await h.write('src/deep/c.txt', 'new')
    await expectOnlyNext(h, 'src/a.css')
    await expectOnlyNext(h, 'src/deep/b.css')
  })

  it('watches plain files, not their siblings, and survives their deletion', async () => {
    const h = await setup({ 'x/a.css': 'a {}', 'x/c.css': 'c {}', 'y/b.css': 'b {}' }, { paths: ['x/a.css', 'y/b.css'] })

    await h.write('x/c.css', 'c { color: red }')
    await expectOnlyNext(h, 'x/a.css')

    await expectDeleteAndRecreateSeen(h, 'x/a.css')
    await expectOnlyNext(h, 'x/a.css')
    await expectOnlyNext(h, 'y/b.css')
  })

  it('keeps watching a glob base that is deleted and created again (rm -rf dist before a build)', async () => {
    const h = await setup({ 'dist/a.css': 'a {}', 'keep.css': '' }, { paths: 'dist/**/*.css' })

    await expectDeleteAndRecreateSeen(h, 'dist/a.css', () => rm(h.at('dist'), { recursive: true }))
    await expectOnlyNext(h, 'dist/a.css')
  })

  it('ignores node_modules, .git and the `ignored` option', async () => {
    const h = await setup(
      { 'node_modules/lib/x.css': '', '.git/HEAD': '', 'dist/y.css': '', 'a.map': '', 'a.css': '' },
      { ignored: ['dist', '**/*.map'] },
    )

    await h.write('node_modules/lib/x.css', 'x {}')
    await h.write('.git/HEAD', 'ref')
    await h.write('dist/y.css', 'y {}')
    await h.write('a.map', '{}')
    await expectOnlyNext(h, 'a.css')
  })

  it('records the files of paths added at runtime instead of reporting them', async () => {
    const h = await setup({ 'a/one.css': '', 'b/two.css': '' }, { paths: 'a' })

    h.watcher.add(path.join(h.dir, 'b'))
    const added = chokidarOf(h.watcher).at(-1)!
    await new Promise<void>(resolve => added.once('ready', () => resolve()))
    await expectOnlyNext(h, 'b/two.css')
    await expectOnlyNext(h, 'a/one.css')
  })

  it('logs one line per error code and keeps watching', async () => {
    const h = await setup({ 'a.css': 'a {}' })
    const [instance] = chokidarOf(h.watcher)
    const error = (code: string): Error => Object.assign(new Error(`${code}: injected, watch '${h.dir}'`), { code })

    instance!.emit('error', error('ENOSPC'))
    instance!.emit('error', error('ENOSPC'))
    instance!.emit('error', error('EMFILE'))
    instance!.emit('error', new Error('something odd'))

    expect(h.warnings).toHaveLength(3)
    for (const warning of h.warnings) {
      expect(warning).toMatch(/^the file watcher could not /)
      expect(warning).not.toContain('\n')
    }
    expect(h.warnings[0]).toContain('ENOSPC')
    expect(h.warnings[0]).toContain('usePolling')
    expect(h.warnings[1]).toContain('EMFILE')
    await expectOnlyNext(h, 'a.css')
  })

  it('reports a file saved during its initial scan, and no file that was there unchanged', async () => {
    const h = await setup({ 'a.css': 'a {}', 'b.css': 'b {}' })
    await h.watcher.close()
    const calls: string[][] = []
    const again = createWatcher({ paths: '.', cwd: h.dir, logger: { info() {}, warn() {}, error() {} }, onChange: changed => void calls.push(changed) })
    cleanups.push(() => again.close())
    await writeFile(h.at('b.css'), 'b { color: red }')
    // Stamped a second later: the kernel's clock may run a tick behind, which would make it look older than the watcher.
    await utimes(h.at('b.css'), new Date(Date.now() + 1000), new Date(Date.now() + 1000))
    await again.ready
    await waitFor(() => calls.length > 0, 3000, 'the save made during the scan')
    expect(calls).toEqual([[h.at('b.css')]])
  })

  it('closes idempotently, also before the initial scan is done', async () => {
    const h = await setup({ 'a.css': 'a {}' })
    const first = h.watcher.close()
    expect(h.watcher.close()).toBe(first)
    await first
    await h.watcher.close()

    const early = createWatcher({ paths: h.dir, logger: { info() {}, warn() {}, error() {} }, onChange() {} })
    await early.close()
    await early.ready
  })
})

describe('listWatchedFiles', () => {
  it('lists what a watcher of the same paths reports: globs, exclusions, directories, no node_modules', async () => {
    const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'live-assets-list-')))
    try {
      for (const file of ['app/a.css', 'app/sub/b.css', 'app/c.js', 'app/vendor.css', 'app/node_modules/x.css', 'public/logo.png'])
        await mkdir(path.dirname(path.join(dir, file)), { recursive: true }).then(() => writeFile(path.join(dir, file), ''))
      const list = async (...paths: string[]): Promise<string[]> => (await listWatchedFiles(paths, dir)).map(file => path.relative(dir, file))
      expect(await list('app/**/*.css', '!app/vendor.css')).toEqual(['app/a.css', 'app/sub/b.css'])
      expect(await list('public')).toEqual(['public/logo.png'])
      expect(await list('app/a.css')).toEqual(['app/a.css'])
      expect(await list('src/**/*.css', 'app/**/*.scss')).toEqual([])
    }
    finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
