import type { Buffer } from 'node:buffer'
import type { Page } from 'playwright-core'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { paintedAt, sampleColors } from '../utils/colors'

export { unstyledFrames } from '../utils/colors'

/** Loads a package the way the copy's own config does, so plugins and compiler share one bundler instance. */
export async function loadFrom<T>(dir: string, id: string): Promise<T> {
  const resolved = createRequire(path.join(dir, 'package.json')).resolve(id)
  return import(pathToFileURL(resolved).href) as Promise<T>
}

/** Replaces `from` with `to` in a file of the copy and returns the time of the save. */
export async function edit(dir: string, file: string, from: string, to: string): Promise<number> {
  const target = path.join(dir, file)
  const before = await readFile(target, 'utf8')
  if (!before.includes(from))
    throw new Error(`${file} does not contain ${JSON.stringify(from)}`)
  const savedAt = Date.now()
  await writeFile(target, before.replace(from, to))
  return savedAt
}

/** Every file under `dir`, with its content. */
export async function readTree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name)
      files.set(path.relative(dir, file), await readFile(file, 'utf8'))
    }
  }
  return files
}

export interface Stats {
  subscribers: number
  eventsPublished: number
}

export async function stats(url: string): Promise<Stats> {
  const response = await fetch(new URL('__live_assets/stats', url))
  return response.json() as Promise<Stats>
}

/** Response headers of the event stream and how long its first bytes took, asking for compression as browsers do. */
export function openStream(url: string): Promise<{ headers: Record<string, unknown>, firstBytesMs: number, firstChunk: string }> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now()
    const req = request(new URL('__live_assets/events', url), { headers: { 'Accept-Encoding': 'gzip, deflate, br' } }, (res) => {
      res.once('data', (chunk: Buffer) => {
        resolve({ headers: res.headers, firstBytesMs: Date.now() - startedAt, firstChunk: chunk.toString('latin1') })
        req.destroy()
      })
    })
    req.setTimeout(10_000, () => req.destroy(new Error('no bytes from the event stream within 10 s')))
    req.on('error', reject)
    req.end()
  })
}

/** Elements of the playground page and the colour property each stylesheet sets on them. */
export const PROBES = ['#a', '#b', '#partial', '#public']

/** Samples the colour of every probe on each animation frame (see `sampleColors`). */
export function sampleStyles(page: Page): Promise<void> {
  return sampleColors(page, PROBES)
}

/** Waits for the first frame in which `selector` shows `color`, and returns that frame's time. */
export function restyledAt(page: Page, selector: string, color: string, timeout = 20_000): Promise<number> {
  return paintedAt(page, PROBES.indexOf(selector), color, timeout)
}

export async function color(page: Page, selector: string): Promise<string> {
  return page.evaluate(s => getComputedStyle(document.querySelector(s)!).color, selector)
}
