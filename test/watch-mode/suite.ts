import type { LivePage } from '../utils/live-page'
import type { PageServer } from '../utils/page-server'
import type { NodeProcess } from '../utils/process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { get } from '../backend/utils'
import { edit, stats } from '../dev-server/harness'
import { openPage } from '../utils/live-page'
import { startPageServer } from '../utils/page-server'
import { copyPlayground, removeCopy } from '../utils/playground'
import { poll } from '../utils/poll'
import { killAll } from '../utils/process'
import { liveUrlOf, paintedAt, sampleColors, unstyled } from './harness'

export interface WatchSubject {
  /** The label of the tests and of the timings. */
  name: string
  /** Playground folder name; `name` unless two bundlers share one playground. */
  playground?: string
  /** Playground files, relative to its folder. */
  files: { a: string, partial: string, js: string }
  /** Output directory, relative to the playground. */
  outDir: string
  /** The entry bundle the page loads, relative to `outDir`: it gets the client loader. */
  entry: string
  /** Printed once after every build, good or failed. */
  buildDone: RegExp
  /** Starts the watcher in `dir`; `port` 0 picks a free live-server port. */
  start: (dir: string, env: { LIVE_PORT: string }) => NodeProcess
}

/** `#a` is styled by sheet A, `#b` by sheet B and `#partial` by the partial sheet B `@import`s. */
const PROBES = ['#a', '#b', '#partial']
const OURS = /[?&]la=/

export interface WatchContext {
  dir: string
  pageServer: PageServer
  watcher: NodeProcess
  liveUrl: string
  live: LivePage
  requests: string[]
  timings: string[]
}

/** The end-to-end checks of every watch-mode integration, against a temp copy of its playground. */
export function describeWatchMode(subject: WatchSubject, extra?: (context: () => WatchContext) => void): void {
  describe(`${subject.name} watch mode`, () => {
    const context = { requests: [], timings: [] } as unknown as WatchContext
    // No page origin is configured: the page server is on a loopback origin.
    const env = (port: number): { LIVE_PORT: string } => ({ LIVE_PORT: String(port) })

    async function startWatcher(port: number): Promise<void> {
      context.watcher = subject.start(context.dir, env(port))
      await context.watcher.waitFor(subject.buildDone, 1, 60_000)
      await context.watcher.waitFor(/live server at/)
      context.liveUrl = liveUrlOf(context.watcher.output())
      const entry = path.join(context.dir, subject.outDir, subject.entry)
      await poll(async () => (await readFile(entry, 'utf8')).includes(`${context.liveUrl}/__live_assets/client.js`), { what: `the client loader in ${subject.entry}` })
    }

    /** Saves an edit, waits for the page to paint `color` on probe `index`, and records the time it took. */
    async function editAndWait(label: string, file: string, from: string, to: string, index: number, color: string): Promise<number> {
      const savedAt = await edit(context.dir, file, from, to)
      const ms = await paintedAt(context.live.page, index, color) - savedAt
      context.timings.push(`${label} ${ms} ms`)
      return ms
    }

    beforeAll(async () => {
      context.dir = await copyPlayground(subject.playground ?? subject.name)
      context.pageServer = await startPageServer({ root: path.join(context.dir, subject.outDir) })
      await startWatcher(0)
      context.live = await openPage(context.pageServer.url)
      context.live.page.on('request', r => void context.requests.push(r.url()))
      await sampleColors(context.live.page, PROBES)
      for (let i = 0; i < 3; i++)
        await context.live.page.click('#counter')
    }, 120_000)

    afterAll(async () => {
      await context.live?.close()
      await context.watcher?.stop('SIGKILL')
      killAll()
      await context.pageServer?.close()
      await removeCopy(context.dir)
      console.log(`[live-assets] ${subject.name} save-to-restyle: ${context.timings.join(', ')}`)
    })

    it('connects the page cross-origin through the injected loader: one subscriber', async () => {
      await poll(async () => (await stats(context.liveUrl)).subscribers === 1, { what: 'one subscriber' })
      expect(await context.live.page.$$eval('script[src$="/__live_assets/client.js"]', scripts => scripts.map(s => (s as HTMLScriptElement).src)))
        .toEqual([`${context.liveUrl}/__live_assets/client.js`])
    })

    it('accepts the page\'s loopback origin with no option and refuses any other origin (403)', async () => {
      const refused = await get(`${context.liveUrl}/__live_assets/events`, { Origin: 'http://myapp.test' })
      expect(refused.status).toBe(403)
      expect(refused.body).toContain('allowedOrigins')
      await poll(() => context.watcher.output().includes('refused /__live_assets/events to a page on http://myapp.test: allow that origin with allowedOrigins: ["http://myapp.test"]'), { what: 'the refusal in the terminal' })
      const allowed = await get(`${context.liveUrl}/__live_assets/events`, { Origin: context.pageServer.url })
      expect(allowed.status).toBe(200)
      expect(allowed.headers['access-control-allow-origin']).toBe(context.pageServer.url)
    })

    it('editing sheet A restyles the page in place: no reload, no frame without styles, sheet B not fetched', async () => {
      const { page } = context.live
      const from = context.requests.length
      const builds = context.watcher.count(subject.buildDone)
      await editAndWait('sheet A', subject.files.a, 'rgb(200, 30, 30)', 'rgb(200, 30, 31)', 0, 'rgb(200, 30, 31)')
      // An observation window: a late reload or a second swap would show itself in it.
      await page.waitForTimeout(300)
      const fetched = context.requests.slice(from)
      expect(fetched.filter(url => url.includes('/b.css'))).toEqual([])
      // One fetch, or one per build: the save is written in place, and a bundler whose watcher reads the file between
      // its truncate and its write (Rolldown, on a busy machine) builds twice, the first time from an empty sheet.
      const fetchedA = fetched.filter(url => url.includes('/a.css'))
      expect(fetchedA.length).toBeGreaterThanOrEqual(1)
      expect(fetchedA.length).toBeLessThanOrEqual(Math.max(1, context.watcher.count(subject.buildDone) - builds))
      for (const url of fetchedA)
        expect(url).toMatch(OURS)
      expect(await page.textContent('#counter')).toBe('count: 3')
      expect(await context.live.sentinel()).toBe(context.live.firstSentinel)
      expect(await unstyled(page)).toBe(0)
    })

    it('editing the @import partial restyles sheet B', async () => {
      await editAndWait('@import partial', subject.files.partial, 'rgb(30, 150, 30)', 'rgb(30, 150, 31)', 2, 'rgb(30, 150, 31)')
      expect(await context.live.sentinel()).toBe(context.live.firstSentinel)
      expect(await unstyled(context.live.page)).toBe(0)
    })

    it('a rebuild that leaves the CSS unchanged publishes nothing (a JavaScript edit)', async () => {
      const before = (await stats(context.liveUrl)).eventsPublished
      const builds = context.watcher.count(subject.buildDone)
      await edit(context.dir, subject.files.js, 'let count = 0', 'let count = 0 // edited')
      await context.watcher.waitFor(subject.buildDone, builds + 1)
      // The build is done; give a late event the time to arrive.
      await context.live.page.waitForTimeout(300)
      expect((await stats(context.liveUrl)).eventsPublished).toBe(before)
      expect(await context.live.sentinel()).toBe(context.live.firstSentinel)
    })

    it('a build error shows the overlay and keeps the old styles; the fixed build removes it', async () => {
      const { page } = context.live
      await edit(context.dir, subject.files.a, '#a {', '#a {{')
      const overlay = await page.waitForSelector('live-assets-overlay', { state: 'attached', timeout: 30_000 })
      expect(await overlay.evaluate(host => host.shadowRoot!.textContent)).toMatch(/a\.css/)
      expect(await page.evaluate(() => getComputedStyle(document.querySelector('#a')!).color)).toBe('rgb(200, 30, 31)')
      await editAndWait('sheet A, fixed', subject.files.a, '#a {{\n  color: rgb(200, 30, 31)', '#a {\n  color: rgb(200, 30, 32)', 0, 'rgb(200, 30, 32)')
      await page.waitForSelector('live-assets-overlay', { state: 'detached', timeout: 30_000 })
      expect(await page.textContent('#counter')).toBe('count: 3')
      expect(await context.live.sentinel()).toBe(context.live.firstSentinel)
      expect(await unstyled(page)).toBe(0)
    })

    extra?.(() => context)

    it('reconnects by itself after the watcher is stopped and started again on the same port', async () => {
      const port = Number(new URL(context.liveUrl).port)
      const connects = (await context.live.events('connect')).length
      await context.watcher.stop('SIGINT')
      await startWatcher(port)
      expect(Number(new URL(context.liveUrl).port)).toBe(port)
      await context.live.waitForEvents('connect', connects + 1, 30_000)
      await poll(async () => (await stats(context.liveUrl)).subscribers === 1, { timeout: 30_000, what: 'one subscriber after the restart' })
      await editAndWait('sheet A, after restart', subject.files.a, 'rgb(200, 30, 32)', 'rgb(200, 30, 33)', 0, 'rgb(200, 30, 33)')
      expect(await context.live.sentinel()).toBe(context.live.firstSentinel)
    }, 90_000)
  })
}

/**
 * A plain build with the plugin, into `dist-plain/` of the copy: it starts no server, adds nothing to `entry` and
 * exits within a second of printing `done`.
 */
export function itBuildsWithoutServer(title: string, context: () => WatchContext, entry: string, done: RegExp, build: (dir: string) => NodeProcess): void {
  it(`a plain ${title} starts no server, injects nothing and exits within a second of finishing`, async () => {
    const { dir } = context()
    const plain = build(dir)
    await plain.waitFor(done, 1, 60_000)
    const finishedAt = Date.now()
    const exit = await plain.exited
    expect(Date.now() - finishedAt).toBeLessThan(1000)
    expect(exit.code).toBe(0)
    expect(plain.output()).not.toMatch(/live-assets/)
    expect(await readFile(path.join(dir, 'dist-plain', entry), 'utf8')).not.toMatch(/__live_assets|live-assets/)
  }, 90_000)
}
