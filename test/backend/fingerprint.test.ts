import type { LivePage } from '../utils/live-page'
import type { App, CliProcess } from './utils'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPage } from '../utils/live-page'
import { copyPlayground, removeCopy } from '../utils/playground'
import { killAll } from '../utils/process'
import { startApp, startCli } from './utils'

const FILES = { app: 'assets/app.css', partial: 'assets/partials/theme.css' }

/**
 * A backend that links fingerprinted stylesheets, the backend playground in each mode of its asset pipeline:
 * Propshaft's `app-<8 hex>.css` and Sprockets' `app-<64 hex>.css` (both 404 for an old digest) and a `?v=` version.
 * The CLI runs as the Rails recipe gives it, without `--fallback page`: every change restyles in place.
 */
describe.each(['propshaft', 'sprockets', 'query'] as const)('fingerprinted stylesheets (%s)', (fingerprint) => {
  let playground: string
  let app: App
  let cli: CliProcess
  let live: LivePage
  const requests: string[] = []

  beforeAll(async () => {
    playground = await copyPlayground('backend', { modules: 'none' })
    app = await startApp(playground, fingerprint)
    cli = await startCli(['--watch', 'assets/**/*.css', '--url-base', '/assets', '--port', '0'], playground)
    app.setLiveAssetsTag(cli.scriptTag)
    live = await openPage(`${app.url}/`)
    live.page.on('response', response => void requests.push(`${response.status()} ${new URL(response.url()).pathname}`))
  })
  afterAll(async () => {
    await live?.close()
    await cli?.stop()
    killAll()
    await app?.close()
    await removeCopy(playground)
  })

  async function edit(file: string, from: string, to: string): Promise<void> {
    const target = path.join(playground, file)
    const before = await readFile(target, 'utf8')
    expect(before).toContain(from)
    await writeFile(target, before.replace(from, to))
  }

  const linkedApp = (): Promise<string> => live.page.$eval('link[rel=stylesheet]', link => link.getAttribute('href')!)

  it('an edited sheet restyles in place under its new name, and the old name is never asked for again', async () => {
    const before = await linkedApp()
    await edit(FILES.app, 'color: #0b6bcb;', 'color: rgb(1, 2, 3);')
    await live.page.waitForFunction(() => getComputedStyle(document.querySelector('.title')!).color === 'rgb(1, 2, 3)', undefined, { timeout: 20_000 })
    // A digest in the name changes with the content; a `?v=` version is kept, and our cache-busting added to it.
    const after = (await linkedApp()).replace(/[?&]la=[^&]*$/, '')
    if (fingerprint === 'query')
      expect(after).toBe(before)
    else
      expect(after).not.toBe(before)
    expect(requests.filter(r => r.startsWith('404'))).toEqual([])
    expect(await live.sentinel()).toBe(live.firstSentinel)
    expect(await live.page.$$eval('link[rel=stylesheet]', links => links.length)).toBe(2)
  })

  it('an edited @import partial restyles through its new name and the new name of the sheet that imports it', async () => {
    await edit(FILES.partial, '--page: #f4f5f7;', '--page: rgb(4, 5, 6);')
    await live.page.waitForFunction(() => getComputedStyle(document.body).backgroundColor === 'rgb(4, 5, 6)', undefined, { timeout: 20_000 })
    expect(requests.filter(r => r.startsWith('404'))).toEqual([])
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })
})
