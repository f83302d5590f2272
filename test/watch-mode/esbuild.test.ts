import type { LivePage } from '../utils/live-page'
import type { NodeProcess } from '../utils/process'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { edit, stats } from '../dev-server/harness'
import { openPage } from '../utils/live-page'
import { copyPlayground, removeCopy } from '../utils/playground'
import { poll } from '../utils/poll'
import { killAll, spawnNode } from '../utils/process'
import { liveUrlOf, paintedAt, sampleColors, unstyled } from './harness'
import { describeWatchMode, itBuildsWithoutServer } from './suite'

describeWatchMode({
  name: 'esbuild',
  files: { a: 'src/styles/a.css', partial: 'src/styles/partial.css', js: 'src/main.js' },
  outDir: 'dist',
  entry: 'main.js',
  buildDone: /\[esbuild\] build done/,
  // These tests serve dist/ themselves: no esbuild serve().
  start: (dir, env) => spawnNode(dir, 'dev.mjs', [], { ...env, NO_SERVE: '1' }),
}, (context) => {
  itBuildsWithoutServer('build() with the plugin', context, 'main.js', /\[esbuild\] build done/, dir => spawnNode(dir, 'build.mjs', ['dist-plain']))
})

const BUILD_DONE = /\[esbuild\] build done/
/** The line of dev.mjs and SERVE_ONLY once esbuild's server listens. */
const PAGE = /page: (http:\/\/127\.0\.0\.1:\d+)\//
const OURS = /[?&]la=/

/** esbuild's serve() alone, with `write: false`: every output lives in esbuild's memory. */
const SERVE_ONLY = `import process from 'node:process'
import * as esbuild from 'esbuild'
import liveAssets from 'unplugin-live-assets/esbuild'
import { options, page } from './options.mjs'

const context = await esbuild.context({
  ...options,
  write: false,
  plugins: [liveAssets({ port: 0 }), page],
})
const { port } = await context.serve({ servedir: 'dist', host: '127.0.0.1', port: Number(process.env.PORT) })
console.log(\`page: http://127.0.0.1:\${port}/\`)
`

interface Served {
  dir: string
  process: NodeProcess
  pageUrl: string
  clientUrl: string
}

/** Starts `script` of a copy of the esbuild playground with esbuild's serve() on a free port (no origin option). */
async function startServed(script: string, files: Record<string, string> = {}): Promise<Served> {
  const dir = await copyPlayground('esbuild')
  for (const [name, content] of Object.entries(files))
    await writeFile(path.join(dir, name), content)
  const started = spawnNode(dir, script, [], { LIVE_PORT: '0', PORT: '0' })
  await started.waitFor(PAGE, 1, 60_000)
  await started.waitFor(/live server at/)
  return { dir, process: started, pageUrl: PAGE.exec(started.output())![1], clientUrl: `${liveUrlOf(started.output())}/__live_assets/client.js` }
}

/**
 * What esbuild's serve() answers for `/main.js`, once it carries the loader. esbuild answers from its latest build,
 * and reuses a build for requests in the 250 ms after it: the context's first build, made before the plugin knew it
 * was in a context (see esbuild.ts), answers until then.
 */
async function servedEntry(served: Served, what: string, contains = served.clientUrl): Promise<string> {
  return poll(async () => {
    const body = await (await fetch(`${served.pageUrl}/main.js`)).text()
    return body.includes(served.clientUrl) && body.includes(contains) ? body : undefined
  }, { what })
}

describe('esbuild watch() + serve(): the page comes from esbuild\'s own server', () => {
  let served: Served
  let live: LivePage
  const requests: string[] = []

  beforeAll(async () => {
    served = await startServed('dev.mjs')
    const entry = await servedEntry(served, 'the client loader in the served main.js')
    expect(entry.split(served.clientUrl)).toHaveLength(2)
    live = await openPage(`${served.pageUrl}/`)
    live.page.on('request', request => void requests.push(request.url()))
    await sampleColors(live.page, ['#a', '#b', '#partial'])
    for (let i = 0; i < 3; i++)
      await live.page.click('#counter')
  }, 120_000)

  afterAll(async () => {
    await live?.close()
    await served?.process.stop('SIGKILL')
    killAll()
    await removeCopy(served?.dir)
  })

  it('the served page loads the client once and connects: one subscriber', async () => {
    const liveUrl = new URL(served.clientUrl).origin
    await poll(async () => (await stats(liveUrl)).subscribers === 1, { what: 'one subscriber' })
    expect(await live.page.$$eval('script[src$="/__live_assets/client.js"]', scripts => scripts.map(s => (s as HTMLScriptElement).src))).toEqual([served.clientUrl])
  })

  /** Edits sheet A and waits until the page shows `to`: one request of ours for it, no reload, no bare frame. */
  async function editSheetA(from: string, to: string): Promise<void> {
    const { page } = live
    const before = requests.length
    const published = (await stats(new URL(served.clientUrl).origin)).eventsPublished
    await edit(served.dir, 'src/styles/a.css', from, to)
    await paintedAt(page, 0, to)
    // An observation window: a late reload or a second swap would show itself in it.
    await page.waitForTimeout(300)
    const fetched = requests.slice(before)
    expect(fetched.filter(url => url.includes('/styles/a.css'))).toEqual([expect.stringMatching(OURS)])
    expect(fetched.filter(url => url.includes('/styles/b.css'))).toEqual([])
    expect((await stats(new URL(served.clientUrl).origin)).eventsPublished).toBe(published + 1)
    expect(await page.textContent('#counter')).toBe('count: 3')
    expect(await live.sentinel()).toBe(live.firstSentinel)
    expect(await unstyled(page)).toBe(0)
  }

  it('editing sheet A restyles the served page in place', async () => {
    await editSheetA('rgb(200, 30, 30)', 'rgb(200, 30, 31)')
  })

  it('after a JavaScript edit, esbuild serves the new main.js with the loader, and sheet A still restyles in place', async () => {
    const builds = served.process.count(BUILD_DONE)
    await edit(served.dir, 'src/main.js', 'let count = 0', 'let count = 100')
    await served.process.waitFor(BUILD_DONE, builds + 1)
    const entry = await servedEntry(served, 'the edited main.js with the loader', 'count = 100')
    expect(entry.split(served.clientUrl)).toHaveLength(2)
    await editSheetA('rgb(200, 30, 31)', 'rgb(200, 30, 32)')
  })
})

describe('esbuild serve() alone, write: false', () => {
  let served: Served

  beforeAll(async () => {
    served = await startServed('serve-only.mjs', { 'serve-only.mjs': SERVE_ONLY })
  }, 120_000)

  afterAll(async () => {
    await served?.process.stop('SIGKILL')
    killAll()
    await removeCopy(served?.dir)
  })

  it('serves main.js from memory with the loader once; the page connects', async () => {
    const entry = await servedEntry(served, 'the client loader in the served main.js')
    expect(entry.split(served.clientUrl)).toHaveLength(2)
    const live = await openPage(`${served.pageUrl}/`)
    try {
      await poll(async () => (await stats(new URL(served.clientUrl).origin)).subscribers === 1, { what: 'one subscriber' })
    }
    finally {
      await live.close()
    }
  }, 60_000)
})
