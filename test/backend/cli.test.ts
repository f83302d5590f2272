import type { CliProcess } from './utils'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { copyPlayground, removeCopy } from '../utils/playground'
import { poll } from '../utils/poll'
import { killAll, spawnNode } from '../utils/process'
import { get, openStream, PLAYGROUND, runCli, startCli, stats } from './utils'

/** The flags the CLI promises; `--help` must document each one. */
const FLAGS = ['--watch', '--root', '--url-base', '--reload', '--[no-]poll', '--debounce', '--origin', '--[no-]loopback-origins', '--port', '--host', '--allowed-host', '--[no-]strict-port', '--heartbeat', '--token', '--fallback', '--[no-]overlay', '--debug', '--help', '--version']
const PAGE = 'http://127.0.0.1:3000'
const WATCH = ['--watch', 'assets/**/*.css', '--url-base', '/assets', '--port', '0']

let playground: string
const started: CliProcess[] = []

async function start(args: string[] = WATCH): Promise<CliProcess> {
  const cli = await startCli(args, playground)
  started.push(cli)
  return cli
}

beforeAll(async () => {
  playground = await copyPlayground('backend', { modules: 'none' })
})
afterEach(async () => {
  await Promise.all(started.splice(0).map(cli => cli.stop('SIGKILL')))
})
afterAll(async () => {
  killAll()
  await removeCopy(playground)
})

describe('the command line', () => {
  it('documents every flag in --help and exits 0', async () => {
    const run = await runCli(['--help'])
    expect(run.code).toBe(0)
    expect(run.stderr).toBe('')
    for (const flag of FLAGS)
      expect(run.stdout).toContain(flag)
    expect(run.stdout).toContain('live-assets --watch "app/assets/**/*.css" --url-base /assets')
  })

  it('prints its version', async () => {
    const run = await runCli(['--version'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
  })

  it.each([
    [['--watc', 'assets/**/*.css'], /^\[live-assets\] unknown flag --watc: did you mean --watch\?/],
    [[...WATCH, '--port', 'abc'], /^\[live-assets\] --port must be a whole number from 0 to 65535; got "abc"/],
    [[...WATCH, '--fallback', 'sometimes'], /^\[live-assets\] --fallback must be one of stylesheets, page, none/],
    [['--watch', 'assets/**/*.css', '--no-loopback-origins'], /^\[live-assets\] --no-loopback-origins leaves no page that may open the stream/],
    [['--origin', PAGE], /^\[live-assets\] nothing to watch/],
    [['--watch', 'assets/app.css', 'assets/layout.css', '--origin', PAGE], /^\[live-assets\] unexpected argument "assets\/layout.css": quote globs/],
  ])('refuses %j with one [live-assets] line and exit code 2', async (args, message) => {
    const run = await runCli(args)
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(message)
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })

  it('says how to get past a taken port, and moves on with --no-strict-port', async () => {
    const first = await start()
    const run = await runCli([...WATCH.slice(0, -1), String(first.port)], playground)
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(new RegExp(`^\\[live-assets\\] port ${first.port} on 127.0.0.1 is already in use.*--port.*--no-strict-port`))
    expect(run.stderr).not.toMatch(/\n\s+at /)

    const second = await start([...WATCH.slice(0, -1), String(first.port), '--no-strict-port'])
    expect(second.port).toBeGreaterThan(first.port)
    expect(second.output()).toContain(`port ${first.port} is in use`)
  })

  it('prints where it listens, what it watches and the tag to paste', async () => {
    const cli = await start([...WATCH, '--reload', 'views/**/*.html', '--origin', PAGE])
    const output = cli.output()
    expect(cli.scriptTag).toBe(`<script src="${cli.endpoints}/client.js"></script>`)
    expect(cli.endpoints).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/__live_assets$/)
    expect(output).toContain(`ready in`)
    expect(output).toContain('watching assets/**/*.css: files under assets/ are requested as /assets/...')
    expect(output).toContain('reloading the page when views/**/*.html changes')
    expect(output).toContain(`pages allowed from localhost, *.localhost, 127.0.0.1 and [::1] on any port, and from ${PAGE} (and http://localhost:3000, http://[::1]:3000)`)
    const client = await get(`${cli.endpoints}/client.js`)
    expect(client.status).toBe(200)
    expect(client.headers['content-type']).toMatch(/^text\/javascript/)
  })

  it.each(['SIGINT', 'SIGTERM'] as const)('closes open streams and exits 0 promptly on %s', async (signal) => {
    const cli = await start()
    const stream = await openStream(`${cli.endpoints}/events`)
    await poll(async () => (await stats(cli.endpoints)).subscribers === 1, { what: 'the stream to be counted', timeout: 15_000 })
    const exit = await cli.stop(signal)
    stream.close()
    console.log(`[backend] ${signal}: exited with ${exit.code} in ${exit.ms} ms`)
    expect(exit).toMatchObject({ code: 0, signal: null })
    expect(exit.ms).toBeLessThan(3000)
  })
})

describe('origins', () => {
  it('lets pages on any loopback origin open the stream without --origin, and no other page', async () => {
    const cli = await start()
    const events = `${cli.endpoints}/events`
    expect(cli.output()).toContain('pages allowed from localhost, *.localhost, 127.0.0.1 and [::1] on any port (others: --origin <origin>)')
    for (const origin of [PAGE, 'http://localhost:3000', 'https://app.localhost:8443', 'http://[::1]:5173']) {
      const allowed = await get(events, { 'Origin': origin, 'Sec-Fetch-Site': 'same-site' })
      expect(allowed.status).toBe(200)
      expect(allowed.headers['access-control-allow-origin']).toBe(origin)
    }
    const peak = (await stats(cli.endpoints)).peakSubscribers
    for (const origin of ['http://192.168.1.20:3000', 'http://myapp.test', 'http://localhost.evil.example', 'null']) {
      const refused = await get(events, { 'Origin': origin, 'Sec-Fetch-Site': 'cross-site' })
      expect(refused.status).toBe(403)
      expect(refused.headers['access-control-allow-origin']).toBeUndefined()
    }
    expect((await stats(cli.endpoints)).peakSubscribers).toBe(peak)
    // Each refused origin once, with the flag that allows it.
    await poll(() => cli.output().includes('refused /__live_assets/events to a page on null'), { what: 'the refusal of null', timeout: 15_000 })
    expect(cli.output()).toContain('refused /__live_assets/events to a page on http://myapp.test: allow that origin with allowedOrigins: ["http://myapp.test"] (CLI: --origin http://myapp.test).')
  })

  it('with --no-loopback-origins, lets only the named page origins (and their loopback names) open the stream', async () => {
    const cli = await start([...WATCH, '--no-loopback-origins', '--origin', PAGE])
    const events = `${cli.endpoints}/events`

    for (const origin of [PAGE, 'http://localhost:3000']) {
      const allowed = await get(events, { 'Origin': origin, 'Sec-Fetch-Site': 'same-site' })
      expect(allowed.status).toBe(200)
      expect(allowed.headers['access-control-allow-origin']).toBe(origin)
    }
    const peak = (await stats(cli.endpoints)).peakSubscribers
    for (const origin of ['http://127.0.0.1:3001', 'https://127.0.0.1:3000', 'http://evil.example']) {
      const refused = await get(events, { 'Origin': origin, 'Sec-Fetch-Site': 'cross-site' })
      expect(refused.status).toBe(403)
      expect(refused.headers['access-control-allow-origin']).toBeUndefined()
      expect(refused.body).toMatch(/^\[live-assets\] origin .* is not allowed/)
    }
    // refused before any subscriber existed
    expect((await stats(cli.endpoints)).peakSubscribers).toBe(peak)
  })
})

describe('pnpm play:backend', () => {
  it('starts the page server and the CLI beside it, prints the page URL, and stops on SIGTERM', async () => {
    // Runs in the real playground (it only reads there) because its node_modules link the CLI.
    const dev = spawnNode(PLAYGROUND, 'dev.js', ['--port', '0'], { PORT: '0' })
    try {
      await dev.waitFor(/^\[playground\] page: \S+/m, 1, 15_000)
      const pageUrl = /^\[playground\] page: (\S+)/m.exec(dev.output())![1]
      const page = await get(pageUrl.replace('localhost', '127.0.0.1'))
      expect(page.status).toBe(200)
      const src = page.body.match(/<script src="([^"]+)"><\/script>\s*<\/body>/)?.[1]
      expect(src).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/__live_assets\/client\.js$/)
      expect(new URL(src!).origin).not.toBe(new URL(pageUrl).origin)
      expect((await get(src!)).status).toBe(200)
      expect(page.body).toMatch(/<link rel="stylesheet" href="\/assets\/app.css">\s*<link rel="stylesheet" href="\/assets\/layout.css">/)
    }
    catch (error) {
      await dev.stop('SIGTERM')
      throw error
    }
    expect((await dev.stop('SIGTERM')).code).toBe(0)
  })
})
