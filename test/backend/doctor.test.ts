import type { Nginx } from '../reliability/nginx'
import type { App, CliProcess, Run } from './utils'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { generate } from 'selfsigned'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadFrom } from '../dev-server/harness'
import { startNginx } from '../reliability/nginx'
import { copyPlayground, removeCopy } from '../utils/playground'
import { killAll } from '../utils/process'
import { runCli, startApp, startCli } from './utils'

const WATCH = ['--watch', 'assets/**/*.css', '--url-base', '/assets']

/**
 * `live-assets doctor` against the backend playground's real page server and a real CLI, healthy and broken in the
 * ways users meet: no tag in the layout, a refused origin, a buffering proxy, a glob that matches nothing, the
 * sources watched while the page links other files, no server at all.
 */
describe('live-assets doctor', () => {
  let playground: string
  let app: App
  const started: { stop: () => Promise<unknown> }[] = []

  async function cli(args: string[] = []): Promise<CliProcess> {
    const running = await startCli([...WATCH, '--port', '0', ...args], playground)
    started.push(running)
    return running
  }

  async function doctor(page: string | undefined, args: string[]): Promise<Run & { problems: string[] }> {
    const run = await runCli(['doctor', ...(page ? [page] : []), ...args], playground)
    expect(run.stdout.trimEnd().split('\n').every(line => /^\[live-assets\] (?:ok|warning|problem) {1,6}\S/.test(line)), run.stdout).toBe(true)
    return { ...run, problems: run.stdout.split('\n').filter(line => line.startsWith('[live-assets] problem')) }
  }

  beforeAll(async () => {
    playground = await copyPlayground('backend', { modules: 'none' })
    app = await startApp(playground)
  })
  afterEach(async () => {
    await Promise.all(started.splice(0).map(s => s.stop()))
  })
  afterAll(async () => {
    killAll()
    await app?.close()
    await removeCopy(playground)
  })

  it('finds nothing wrong in a working setup and exits 0', async () => {
    const live = await cli()
    app.setLiveAssetsTag(live.scriptTag)
    const run = await doctor(`${app.url}/`, [...WATCH, '--port', String(live.port)])
    expect(run.problems).toEqual([])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`ok      the page loads the client from ${live.endpoints}/client.js.`)
    expect(run.stdout).toMatch(/ok {6}the first event arrived through .* in \d+ ms, as text\/event-stream; charset=utf-8 over HTTP\/1\.1, uncompressed\./)
    expect(run.stdout).toContain('ok      every stylesheet the page links is a watched file: /assets/app.css, /assets/layout.css.')
    expect(run.stdout).toContain('ok      file events come through in assets.')
  })

  it('with the publish token, sends an event and sees it arrive through the page\'s URL', async () => {
    const live = await cli(['--token', 'doctor-token-1'])
    app.setLiveAssetsTag(live.scriptTag)
    const run = await doctor(`${app.url}/`, [...WATCH, '--port', String(live.port), '--token', 'doctor-token-1'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/ok {6}an event published by doctor arrived through .* in \d+ ms/)
  })

  it('says when no live server answers', async () => {
    const run = await doctor(undefined, ['--port', '1'])
    expect(run.code).toBe(1)
    expect(run.problems).toEqual([expect.stringContaining('no live-assets server answers at http://127.0.0.1:1/__live_assets/stats')])
  })

  it('says the page does not load the client, and which tag to add', async () => {
    const live = await cli()
    app.setLiveAssetsTag('')
    const run = await doctor(`${app.url}/`, ['--port', String(live.port)])
    expect(run.code).toBe(1)
    expect(run.problems).toEqual([expect.stringContaining(`does not load the live-assets client: add <script src="${live.endpoints}/client.js"></script> to its layout`)])
  })

  it('says the live server refuses the page\'s origin, with the flag to add', async () => {
    const live = await cli(['--no-loopback-origins', '--origin', 'http://localhost:9'])
    app.setLiveAssetsTag(live.scriptTag)
    const run = await doctor(`${app.url}/`, ['--port', String(live.port)])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('ok      it accepts only the pages of its --origin flags (--no-loopback-origins).')
    expect(run.problems).toEqual([expect.stringContaining(`the live server refuses pages from ${app.url}: start live-assets with --origin ${app.url}.`)])
  })

  it('says a glob matches nothing, and that the page links files that are not watched (and where they are)', async () => {
    await mkdir(path.join(playground, 'src'), { recursive: true })
    await writeFile(path.join(playground, 'src/theme.scss'), '')
    const live = await cli()
    app.setLiveAssetsTag(live.scriptTag)
    const run = await doctor(`${app.url}/`, ['--watch', 'src/**/*.css', '--url-base', '/assets', '--port', String(live.port)])
    expect(run.code).toBe(1)
    expect(run.problems).toEqual([
      expect.stringContaining('the page links /assets/app.css, /assets/layout.css, which no --watch file is (watched: src/**/*.css). It is at assets/app.css: watch that folder, e.g. --watch "assets/**/*.css" --url-base /assets.'),
      expect.stringContaining('--watch "src/**/*.css" matches no file under'),
    ])
  })

  it('checks a dev server\'s page over HTTPS and HTTP/2 (Vite with a certificate of its own)', async () => {
    const dir = await copyPlayground('vite')
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048 })
    const { createServer } = await loadFrom<typeof import('vite')>(dir, 'vite')
    const vite = await createServer({ root: dir, configFile: path.join(dir, 'vite.config.ts'), cacheDir: path.join(dir, '.vite'), logLevel: 'warn', server: { host: '127.0.0.1', port: 0, https: { key: pems.private, cert: pems.cert } } })
    try {
      await vite.listen()
      const page = `https://localhost:${(vite.httpServer!.address() as { port: number }).port}/`
      const run = await doctor(page, [])
      expect(run.problems).toEqual([])
      expect(run.stdout).toContain(`ok      the live-assets server at ${new URL(page).origin} answers`)
      expect(run.stdout).toMatch(/ok {6}the first event arrived through https:\/\/localhost:\d+\/__live_assets\/events in \d+ ms, as text\/event-stream; charset=utf-8 over HTTP\/2, uncompressed\./)
    }
    finally {
      await vite.close()
      await removeCopy(dir)
    }
  }, 60_000)

  describe('behind nginx, the stream reached through the page\'s own origin', () => {
    let nginx: Nginx | undefined
    afterEach(async () => {
      await nginx?.close()
      nginx = undefined
    })

    /** nginx's defaults (buffering, HTTP/1.0 to the upstream) plus `buffering`. */
    async function behind(buffering: string): Promise<Run & { problems: string[] }> {
      const live = await cli()
      nginx = await startNginx(`
    location /__live_assets/ {
      proxy_pass http://127.0.0.1:${live.port};
      ${buffering}
    }
    location / { proxy_pass ${app.url}; }`)
      app.setLiveAssetsTag('<script src="/__live_assets/client.js"></script>')
      return doctor(`${nginx.url}/`, ['--port', String(live.port)])
    }

    it('says the stream is buffered when nginx holds it back', async () => {
      const run = await behind('proxy_ignore_headers X-Accel-Buffering;')
      expect(run.code).toBe(1)
      expect(run.problems).toEqual([expect.stringMatching(new RegExp(`the first event did not arrive within 1000 ms through ${nginx!.url}/__live_assets/events.*a proxy or tunnel buffers the stream\\. nginx: proxy_buffering off`))])
    })

    it('passes when nginx lets the stream through as live-assets asks (X-Accel-Buffering: no)', async () => {
      const run = await behind('')
      expect(run.problems).toEqual([])
      expect(run.stdout).toContain(`through ${nginx!.url}/__live_assets/events`)
    })
  })
})
