import type { LivePage } from '../utils/live-page'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openPage } from '../utils/live-page'
import { copyPlayground, removeCopy } from '../utils/playground'
import { poll } from '../utils/poll'
import { color, edit, openStream, readTree, restyledAt, sampleStyles, stats, unstyledFrames } from './harness'

export interface RunningServer {
  /** `http://127.0.0.1:<port>/` */
  url: string
  port: number
  stop: () => Promise<void>
  /** What the dev server's process printed, when it runs in one of its own (a CLI). */
  output?: () => string
}

export interface DevServerSubject {
  /** The label of the tests and of the timings. */
  name: string
  /** Playground folder name; `name` unless two setups share one playground. */
  playground?: string
  /** Playground files, relative to its folder. */
  files: { a: string, b: string, partial: string, public: string }
  /** Request URLs of sheet A and sheet B. */
  requests: { a: RegExp, b: RegExp }
  /** Who swaps the bundled sheets: Vite's HMR keeps what Vite processes; with webpack and Rspack live-assets does. */
  bundledSheets: 'vite' | 'live-assets'
  /** Scripts that a page without an HTML plugin loads to run the bundle, in order. @default ['/app.js'] */
  bundleScripts?: string[]
  /** Whether the bundler's own client reloads the page when its server comes back (Vite's does). */
  reloadsOnRestart: boolean
  start: (dir: string, port: number, variant?: Variant) => Promise<RunningServer>
  /** Runs a production build of the copy and returns its output directory. */
  build: (dir: string) => Promise<string>
}

/** A departure from the playground's config, for webpack, Rspack and Rsbuild. */
export interface Variant {
  /** `devServer.hot`, Rsbuild's `dev.hmr` (the playground has `false`). */
  hot?: boolean
  /** Drop the HTML plugin, so the client is injected through an added entry. */
  htmlPlugin?: false
}

/** Our cache-busting parameter: a request that carries it was made by the live-assets client. */
const OURS = /[?&]la=/

/** The end-to-end checks every dev-server integration passes, against a temp copy of its playground. */
export function describeDevServer(subject: DevServerSubject, extra?: (context: () => SuiteContext) => void): void {
  describe(`${subject.name} dev server`, () => {
    const context = {} as SuiteContext
    const timings: string[] = []
    const requests: string[] = []

    async function open(): Promise<void> {
      context.live = await openPage(context.server.url)
      context.live.page.on('request', r => void requests.push(r.url()))
      await sampleStyles(context.live.page)
    }

    /** Saves an edit, waits for the page to show `expected` on `selector`, and records the time it took. */
    async function editAndWait(label: string, file: string, from: string, to: string, selector: string, expected: string): Promise<number> {
      const savedAt = await edit(context.dir, file, from, to)
      const paintedAt = await restyledAt(context.live.page, selector, expected)
      const ms = paintedAt - savedAt
      timings.push(`${label} ${ms} ms`)
      return ms
    }

    beforeAll(async () => {
      context.dir = await copyPlayground(subject.playground ?? subject.name)
      context.server = await subject.start(context.dir, 0)
      await open()
      for (let i = 0; i < 3; i++)
        await context.live.page.click('#counter')
    })

    afterAll(async () => {
      await context.live?.close()
      await context.server?.stop()
      await removeCopy(context.dir)
      console.log(`[live-assets] ${subject.name} save-to-restyle: ${timings.join(', ')}`)
    })

    it('connects the page: the stats show one subscriber', async () => {
      await poll(async () => (await stats(context.server.url)).subscribers === 1, { what: 'one subscriber' })
    })

    it('serves the stream uncompressed and unbuffered even when the request asks for compression', async () => {
      const { headers, firstBytesMs, firstChunk } = await openStream(context.server.url)
      expect(headers['content-type']).toBe('text/event-stream; charset=utf-8')
      expect(headers['content-encoding']).toBeUndefined()
      expect(headers['cache-control']).toContain('no-transform')
      expect(firstChunk).toMatch(/^retry: \d+/)
      expect(firstBytesMs).toBeLessThan(5_000)
    })

    it('editing sheet A restyles the page once, without re-fetching sheet B, reloading or a frame without styles', async () => {
      const { page } = context.live
      const from = requests.length
      const published = (await stats(context.server.url)).eventsPublished
      await editAndWait('sheet A', subject.files.a, 'rgb(200, 30, 30)', 'rgb(200, 30, 31)', '#a', 'rgb(200, 30, 31)')
      // An observation window, not a wait for readiness: a second swapper, had there been one, shows itself in it.
      await page.waitForTimeout(300)

      const fetched = requests.slice(from)
      expect(fetched.filter(url => subject.requests.b.test(url))).toEqual([])
      const sheetA = fetched.filter(url => subject.requests.a.test(url))
      if (subject.bundledSheets === 'live-assets') {
        expect(sheetA).toEqual([expect.stringMatching(OURS)])
      }
      else {
        // Vite's HMR swapped it (once per file event it saw); live-assets sent nothing.
        expect(sheetA.length).toBeGreaterThan(0)
        expect(sheetA.filter(url => OURS.test(url))).toEqual([])
        expect((await stats(context.server.url)).eventsPublished).toBe(published)
      }
      expect(await page.textContent('#counter')).toBe('count: 3')
      expect(await context.live.sentinel()).toBe(context.live.firstSentinel)
      expect(await unstyledFrames(page)).toBe(0)
    })

    it('editing the @import partial restyles the page', async () => {
      await editAndWait('@import partial', subject.files.partial, 'rgb(30, 150, 30)', 'rgb(30, 150, 31)', '#partial', 'rgb(30, 150, 31)')
      expect(await color(context.live.page, '#a')).toBe('rgb(200, 30, 31)')
      expect(await context.live.sentinel()).toBe(context.live.firstSentinel)
      expect(await unstyledFrames(context.live.page)).toBe(0)
    })

    it('editing the public/static stylesheet restyles the page through live-assets', async () => {
      const from = requests.length
      await editAndWait('public sheet', subject.files.public, 'rgb(150, 30, 150)', 'rgb(150, 30, 151)', '#public', 'rgb(150, 30, 151)')
      expect(requests.slice(from).filter(url => url.includes('/public.css'))).toEqual([expect.stringMatching(OURS)])
      expect(await context.live.page.textContent('#counter')).toBe('count: 3')
      expect(await context.live.sentinel()).toBe(context.live.firstSentinel)
      expect(await unstyledFrames(context.live.page)).toBe(0)
    })

    it('a syntax error in the public/static stylesheet shows the overlay and keeps its styles; fixing it removes the overlay', async () => {
      const { page } = context.live
      await edit(context.dir, subject.files.public, '#public {', '#public {{')
      await page.waitForSelector('live-assets-overlay', { state: 'attached', timeout: 20_000 })
      expect(await color(page, '#public')).toBe('rgb(150, 30, 151)')
      await editAndWait('public sheet, fixed', subject.files.public, '#public {{\n  color: rgb(150, 30, 151)', '#public {\n  color: rgb(150, 30, 152)', '#public', 'rgb(150, 30, 152)')
      await page.waitForSelector('live-assets-overlay', { state: 'detached', timeout: 20_000 })
      expect(await unstyledFrames(page)).toBe(0)
      expect(await context.live.sentinel()).toBe(context.live.firstSentinel)
    })

    // Vite's own sheets are Vite's business, errors included (its overlay; its client drops the old sheet).
    if (subject.bundledSheets === 'live-assets') {
      it('a syntax error in sheet A fails the build: the overlay shows, the old styles stay; the fixed build removes it', async () => {
        const { page } = context.live
        const from = requests.length
        await edit(context.dir, subject.files.a, '#a {', '#a {{')
        const overlay = await page.waitForSelector('live-assets-overlay', { state: 'attached', timeout: 20_000 })
        expect(await overlay.evaluate(host => host.shadowRoot!.textContent)).toMatch(/styles\/a\.css:2:1|Unclosed block/)
        expect(await color(page, '#a')).toBe('rgb(200, 30, 31)')
        expect(requests.slice(from).filter(url => subject.requests.a.test(url))).toEqual([])
        await editAndWait('sheet A, fixed', subject.files.a, '#a {{\n  color: rgb(200, 30, 31)', '#a {\n  color: rgb(200, 30, 32)', '#a', 'rgb(200, 30, 32)')
        await page.waitForSelector('live-assets-overlay', { state: 'detached', timeout: 20_000 })
        expect(await page.textContent('#counter')).toBe('count: 3')
        expect(await context.live.sentinel()).toBe(context.live.firstSentinel)
        expect(await unstyledFrames(page)).toBe(0)
      })
    }

    extra?.(() => context)

    it('reconnects by itself after the dev server is stopped and started again on the same port', async () => {
      const { port } = context.server
      const sentinel = await context.live.sentinel()
      const connects = (await context.live.events('connect')).length
      await context.server.stop()
      context.server = await subject.start(context.dir, port)
      expect(context.server.port).toBe(port)
      if (subject.reloadsOnRestart) {
        await reloadedByBundler(context.live, sentinel)
      }
      else {
        await context.live.waitForEvents('connect', connects + 1, 30_000)
        expect(await context.live.sentinel()).toBe(sentinel)
      }
      await poll(async () => (await stats(context.server.url)).subscribers === 1, { timeout: 30_000, what: 'one subscriber after the restart' })
      await editAndWait('public sheet, after restart', subject.files.public, 'rgb(150, 30, 152)', 'rgb(150, 30, 153)', '#public', 'rgb(150, 30, 153)')
    }, 90_000)

    it('a production build contains no trace of the client', async () => {
      const outDir = await subject.build(context.dir)
      const files = await readTree(outDir)
      expect([...files.keys()].some(file => file.endsWith('.html'))).toBe(true)
      for (const [file, content] of files) {
        for (const marker of ['__live_assets', 'live-assets-overlay', 'client-entry', 'extract-css-hmr', 'EventSource'])
          expect(content.includes(marker), `${file} contains ${marker}`).toBe(false)
      }
    })
  })
  if (subject.bundledSheets === 'live-assets') {
    describe(`${subject.name} dev server variants`, () => {
      let dir: string
      let server: RunningServer | undefined
      let live: LivePage | undefined

      beforeAll(async () => {
        dir = await copyPlayground(subject.playground ?? subject.name)
      })
      afterEach(async () => {
        await live?.close()
        await server?.stop()
        live = server = undefined
      })
      afterAll(() => removeCopy(dir))

      it('with devServer.hot, live-assets still swaps the static sheet and leaves the bundled one to HMR', async () => {
        server = await subject.start(dir, 0, { hot: true })
        live = await openPage(server.url)
        const requests: string[] = []
        live.page.on('request', r => void requests.push(r.url()))
        await sampleStyles(live.page)

        await edit(dir, subject.files.public, 'rgb(150, 30, 150)', 'rgb(150, 30, 140)')
        await restyledAt(live.page, '#public', 'rgb(150, 30, 140)')
        expect(requests.filter(url => url.includes('/public.css'))).toEqual([expect.stringMatching(OURS)])

        const from = requests.length
        const published = (await stats(server.url)).eventsPublished
        await edit(dir, subject.files.a, 'rgb(200, 30, 30)', 'rgb(200, 30, 40)')
        // HMR asks for its update once the build is done, after live-assets decided in the same `done` hook. Whether
        // HMR then applies it or reloads the page is the bundler's business.
        await poll(() => requests.slice(from).some(url => url.includes('.hot-update.json')), { what: 'an HMR update' })
        expect(requests.slice(from).filter(url => OURS.test(url))).toEqual([])
        expect((await stats(server.url)).eventsPublished).toBe(published)
      }, 60_000)

      it('without an HTML plugin, an added entry injects the client into pages that load the bundle', async () => {
        await writeFile(path.join(dir, path.dirname(subject.files.public), 'plain.html'), `<!doctype html>
<link rel="stylesheet" href="/public.css">
${(subject.bundleScripts ?? ['/app.js']).map(src => `<script src="${src}" defer></script>\n`).join('')}<p id="public">Public</p>
`)
        server = await subject.start(dir, 0, { htmlPlugin: false })
        live = await openPage(new URL('plain.html', server.url).href)
        await poll(async () => (await stats(server!.url)).subscribers === 1, { what: 'one subscriber' })
        expect(await live.page.$$eval('script[src$="/__live_assets/client.js"]', scripts => scripts.length)).toBe(1)
        await writeFile(path.join(dir, subject.files.public), '#public {\n  color: rgb(10, 20, 30);\n}\n')
        await live.page.waitForFunction(() => getComputedStyle(document.querySelector('#public')!).color === 'rgb(10, 20, 30)', undefined, { timeout: 20_000 })
      }, 60_000)
    })
  }
}

/**
 * Waits for the bundler's own client to reload the page (a new `window` sentinel) and for ours to connect in the new
 * document, then samples styles again.
 */
export async function reloadedByBundler(live: LivePage, sentinel: number): Promise<void> {
  await poll(async () => await live.sentinel().catch(() => sentinel) !== sentinel, { timeout: 30_000, what: 'the bundler\'s client to reload the page' })
  await live.waitForEvents('connect', 1, 30_000)
  await sampleStyles(live.page)
}

export interface SuiteContext {
  dir: string
  server: RunningServer
  live: LivePage
}
