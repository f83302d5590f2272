import type { Plugin, ViteDevServer } from 'vite'
import type { LivePage } from '../utils/live-page'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPage } from '../utils/live-page'
import { loadFrom } from './harness'

type Vite = typeof import('vite')
/** The plugin's Vite entry, resolved from the playground (the e2e package does not depend on it). */
interface LiveAssets { default: () => Plugin }

declare global {
  interface Window {
    /** `securitypolicyviolation` events of the page: `<directive> <blocked URL>`. */
    __csp: string[]
  }
}

/** Where `vite` and `unplugin-live-assets` resolve from, as in a user's project. */
const playground = fileURLToPath(new URL('../../playground/vite', import.meta.url))
const NONCE = 'vite-test-nonce-81c2'
const POLICY = `default-src 'none'; script-src 'nonce-${NONCE}'; style-src 'nonce-${NONCE}'; connect-src 'self' ws:; worker-src 'self'`

const INDEX = `<!doctype html>
<html>
<head>
  <meta charset="utf-8">
  <title>Vite under CSP</title>
  <link rel="stylesheet" href="/style.css">
</head>
<body><div id="o">styled</div></body>
</html>`

/** The page's policy, sent by the dev server as a real deployment's server would. */
function cspHeader(): Plugin {
  return {
    name: 'csp-header',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url === '/' || req.url?.endsWith('.html'))
          res.setHeader('Content-Security-Policy', POLICY)
        next()
      })
    },
  }
}

let dir: string
let server: ViteDevServer
let live: LivePage

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'live-assets-vite-csp-'))
  await mkdir(path.join(dir, 'public'))
  await writeFile(path.join(dir, 'index.html'), INDEX)
  await writeFile(path.join(dir, 'public/style.css'), '#o { color: rgb(0, 0, 131); }')
  const { createServer } = await loadFrom<Vite>(playground, 'vite')
  const { default: liveAssets } = await loadFrom<LiveAssets>(playground, 'unplugin-live-assets/vite')
  server = await createServer({
    root: dir,
    configFile: false,
    cacheDir: path.join(dir, '.vite'),
    logLevel: 'warn',
    html: { cspNonce: NONCE },
    plugins: [cspHeader(), liveAssets()],
    server: { host: '127.0.0.1', port: 0 },
  })
  await server.listen()
  const { port } = server.httpServer!.address() as { port: number }
  live = await openPage(`http://127.0.0.1:${port}/`, {
    beforeLoad: page => page.addInitScript(() => {
      window.__csp = []
      document.addEventListener('securitypolicyviolation', event => window.__csp.push(`${event.effectiveDirective} ${event.blockedURI}`))
    }),
  })
})

afterAll(async () => {
  await live?.close()
  await server?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('vite with html.cspNonce and a strict policy', () => {
  it('gives the injected client tag the nonce; edits restyle and errors show the overlay without a violation', async () => {
    expect(await live.page.evaluate(() => document.querySelector<HTMLScriptElement>('script[src$="/__live_assets/client.js"]')?.nonce)).toBe(NONCE)

    await writeFile(path.join(dir, 'public/style.css'), '#o { color: rgb(0, 0, 132); }')
    await expect.poll(() => live.style('#o', 'color')).toBe('rgb(0, 0, 132)')

    await writeFile(path.join(dir, 'public/style.css'), '#o { color: rgb(0, 0, 133) ')
    await live.waitForEvents('error', 1)
    expect(await live.page.evaluate(() =>
      getComputedStyle(document.querySelector('live-assets-overlay')!.shadowRoot!.querySelector('div')!).backgroundColor)).toBe('rgb(24, 24, 24)')
    expect(await live.style('#o', 'color')).toBe('rgb(0, 0, 132)')

    expect(await live.page.evaluate(() => window.__csp)).toEqual([])
    expect(await live.sentinel()).toBe(live.firstSentinel)
  })
})
