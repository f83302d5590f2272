import type { Handler } from '@live-assets/core'
import type { PageServer } from '../utils/page-server'
import type { Site } from './cluster'
import { createHandler } from '@live-assets/core'
import { redisBus } from '@live-assets/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../backend/utils'
import { freePort } from '../reliability/stream'
import { openPage } from '../utils/live-page'
import { startPageServer } from '../utils/page-server'
import { pageRoute, startSite, stats, TOKEN } from './cluster'

let site: Site
/** A loopback port nothing listens on: a Redis that is not running. */
let nowhere: string

beforeAll(async () => {
  site = await startSite()
  nowhere = `redis://127.0.0.1:${await freePort()}`
})
afterAll(() => site?.close())

describe('a Redis that cannot be reached', () => {
  it('fails the CLI\'s start with one [live-assets] line and exit code 1', async () => {
    const startedAt = performance.now()
    const run = await runCli(['--watch', 'css/*.css', '--url-base', '/css', '--port', '0', '--redis', nowhere, '--token', TOKEN], site.dir)
    const ms = performance.now() - startedAt
    console.info(`[redis] the CLI with an unreachable --redis exited ${run.code} after ${ms.toFixed(0)} ms`)
    expect(run.code).toBe(1)
    expect(run.stdout).not.toContain('<script src=')
    expect(run.stderr).toMatch(new RegExp(`^\\[live-assets\\] could not reach Redis at ${nowhere.replace(/[/.]/g, '\\$&')} \\(.*\\): start redis-server, or check the URL\\.`))
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1)
  })

  it('leaves a dev server serving its own pages from memory, after saying so', async () => {
    const warnings: string[] = []
    const handler: Handler = createHandler({ logger: { info() {}, warn: message => void warnings.push(message), error: message => void warnings.push(message) }, bus: redisBus({ url: nowhere }) })
    let pages: PageServer | undefined
    try {
      pages = await startPageServer({ root: site.dir, middleware: handler })
      pages.route(pageRoute)
      await handler.ready
      expect(warnings).toEqual([expect.stringMatching(new RegExp(`^could not reach Redis at ${nowhere.replace(/[/.]/g, '\\$&')} .*Until this process restarts with the bus reachable, its events reach only its own pages\\.$`))])
      const page = await openPage(`${pages.url}/page?live=`)
      try {
        await handler.publish('reloadCSS', { files: ['/css/other.css'] })
        await page.waitForEvents('after-swap', 1)
        expect((await page.events('after-swap'))[0].files).toEqual([`${pages.url}/css/other.css`])
      }
      finally {
        await page.close()
      }
      const { bus } = await stats(pages.url)
      expect(bus).toMatchObject({ name: 'memory', connected: true })
      expect(warnings).toHaveLength(1)
    }
    finally {
      handler.close()
      await pages?.close()
    }
  })
})
