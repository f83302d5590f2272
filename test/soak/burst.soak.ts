import { spawn } from 'node:child_process'
import process from 'node:process'
import { describe, expect, it } from 'vitest'
import { startSheetsSite, useCleanup } from './sheets'

const FILES = 500
const TABS = 3
/** The color sheet `i` gives its element in version `v`: unique per sheet and version. */
const color = (i: number, v: number): string => `rgb(${i % 256}, ${Math.floor(i / 256)}, ${v})`
const rule = (i: number, v: number): string => `#s${i} { color: ${color(i, v)}; }\n`
const cleanup = useCleanup()

/** Writes each wave's files one after the other, pausing 30 ms between waves, in a child process; returns its ms. */
async function checkout(waves: [file: string, text: string][][]): Promise<number> {
  const child = spawn(process.execPath, ['-e', `
    const { writeFileSync } = require('node:fs')
    let input = ''
    process.stdin.setEncoding('utf8').on('data', chunk => input += chunk).on('end', async () => {
      const started = performance.now()
      for (const wave of JSON.parse(input)) {
        for (const [file, text] of wave) writeFileSync(file, text)
        await new Promise(resolve => setTimeout(resolve, 30))
      }
      console.log(performance.now() - started - 30)
    })
  `], { stdio: ['pipe', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => output += chunk)
  child.stdin.end(JSON.stringify(waves))
  const code = await new Promise(resolve => child.once('exit', resolve))
  expect(code).toBe(0)
  return Number(output)
}

describe('a branch switch', () => {
  it(`ends with every page on the final state after ${FILES} stylesheets change in about a second`, async () => {
    const site = await startSheetsSite({ sheets: FILES, tabs: TABS, initial: i => rule(i, 0) }, cleanup)
    const ids = Array.from({ length: FILES }, (_, i) => i)
    await site.waitForColors(ids.map(i => color(i, 0)), 10_000)

    // The checkout, from a process of its own as git would run: every file rewritten in a shuffled order, one in
    // seven twice (an intermediate version first), in ten waves of writes.
    const order = [...ids].sort(() => Math.random() - 0.5)
    const waves = Array.from({ length: 10 }, (_, wave) => order.slice(wave * FILES / 10, (wave + 1) * FILES / 10)
      .flatMap(i => [...(i % 7 === 0 ? [rule(i, 1)] : []), rule(i, 2)].map((text): [string, string] => [site.file(i), text])))
    const startedAt = performance.now()
    const writtenIn = await checkout(waves)
    // About 0.5 s on an idle machine; a busy one stretches the burst, which the pages must survive just as well.
    expect(writtenIn).toBeLessThan(3000)
    await site.waitForColors(ids.map(i => color(i, 2)), 120_000)
    const settledIn = performance.now() - startedAt
    for (const tab of site.tabs) {
      // No clone left behind, and no page reload.
      expect(await tab.page.evaluate(() => document.querySelectorAll('link').length)).toBe(FILES)
      expect(await tab.sentinel()).toBe(tab.firstSentinel)
    }
    const { eventsPublished } = site.live.handler.broadcaster.stats()
    const refetches = site.pages.requests.filter(r => r.path.startsWith('/css/') && r.search.has('la')).length
    console.info(`[reliability] branch switch: ${FILES} files rewritten in ${writtenIn.toFixed(0)} ms -> ${eventsPublished} reloadCSS events; ${TABS} pages on the final state ${settledIn.toFixed(0)} ms after the first write (${refetches} sheet re-fetches, ${(refetches / TABS / FILES).toFixed(2)} per sheet per page)`)
  })
})
