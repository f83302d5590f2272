import type { CliOptions } from '../src'
import { describe, expect, it } from 'vitest'
import { createCliLogger, FLAGS, formatHelp, parseCliArgs, toServerOptions, UsageError, withLoopbackAliases } from '../src'

const required = ['--watch', 'app/assets/**/*.css', '--origin', 'http://localhost:3000']

function options(...extra: string[]): CliOptions {
  const command = parseCliArgs([...required, ...extra])
  if (command.command !== 'start')
    throw new Error(`expected start, got ${command.command}`)
  return command.options
}

function usageError(argv: string[]): string {
  try {
    parseCliArgs(argv)
  }
  catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return (error as Error).message
  }
  throw new Error(`${argv.join(' ')} was accepted`)
}

describe('parseCliArgs', () => {
  it('gives every flag its documented default', () => {
    expect(options()).toEqual({
      watch: ['app/assets/**/*.css'],
      reload: [],
      root: undefined,
      urlBase: '/',
      origins: ['http://localhost:3000'],
      loopbackOrigins: true,
      port: 35729,
      host: '127.0.0.1',
      allowedHosts: [],
      strictPort: true,
      heartbeatMs: undefined,
      poll: undefined,
      debounceMs: undefined,
      token: undefined,
      fallback: 'stylesheets',
      overlay: true,
      debug: false,
    })
  })

  it('reads every flag, in both value forms and with short names', () => {
    const parsed = options('-w', 'lib/**/*.css', '--root=app', '--url-base', 'assets/', '--reload', 'views/**/*.erb', '--reload=*.html', '--origin', 'https://app.test:8443', '-p', '0', '--host', '0.0.0.0', '--allowed-host', '.App.test', '--no-strict-port', '--heartbeat', '5000', '--poll', '--debounce=0', '--token', 's3cret', '--fallback', 'page', '--no-overlay', '--debug')
    expect(parsed).toEqual({
      watch: ['app/assets/**/*.css', 'lib/**/*.css'],
      reload: ['views/**/*.erb', '*.html'],
      root: 'app',
      urlBase: '/assets',
      origins: ['http://localhost:3000', 'https://app.test:8443'],
      loopbackOrigins: true,
      port: 0,
      host: '0.0.0.0',
      allowedHosts: ['.app.test'],
      strictPort: false,
      heartbeatMs: 5000,
      poll: true,
      debounceMs: 0,
      token: 's3cret',
      fallback: 'page',
      overlay: false,
      debug: true,
    })
  })

  it('lets --help and --version win over everything else', () => {
    expect(parseCliArgs(['--help'])).toEqual({ command: 'help' })
    expect(parseCliArgs(['-h', '--port', 'x'])).toEqual({ command: 'help' })
    expect(parseCliArgs(['--bogus', 'stray', '--help'])).toEqual({ command: 'help' })
    expect(parseCliArgs(['-v'])).toEqual({ command: 'version' })
  })

  it('needs no --origin: loopback pages are allowed unless --no-loopback-origins', () => {
    expect(parseCliArgs(['--watch', 'a.css'])).toMatchObject({ command: 'start', options: { origins: [], loopbackOrigins: true } })
    expect(options('--no-loopback-origins')).toMatchObject({ origins: ['http://localhost:3000'], loopbackOrigins: false })
  })

  it('reads doctor with an optional page URL and the flags of the setup, --watch optional', () => {
    expect(parseCliArgs(['doctor'])).toMatchObject({ command: 'doctor', pageUrl: undefined, options: { watch: [], port: 35729 } })
    expect(parseCliArgs(['doctor', 'http://localhost:3000', '--watch', 'a.css', '--port', '4000'])).toMatchObject({
      command: 'doctor',
      pageUrl: 'http://localhost:3000/',
      options: { watch: ['a.css'], port: 4000 },
    })
  })

  it('normalises --url-base and --origin', () => {
    expect(options('--url-base', 'assets//css/').urlBase).toBe('/assets/css')
    expect(options('--url-base', '/').urlBase).toBe('/')
    expect(options('--origin', 'HTTP://LocalHost:3000/').origins).toEqual(['http://localhost:3000'])
  })

  it('reads --url-base, and --base, its old name, with one warning that names the new one', () => {
    expect(parseCliArgs([...required, '--url-base', '/assets'])).toMatchObject({ command: 'start', options: { urlBase: '/assets' }, warnings: [] })
    const old = parseCliArgs([...required, '--base', 'assets/', '--base=/static'])
    expect(old).toMatchObject({ command: 'start', options: { urlBase: '/static' } })
    expect(old.command === 'start' && old.warnings).toEqual([
      '--base is now --url-base: it still works in this release, but goes away in the next one. Write --url-base assets/ instead.',
    ])
    expect(parseCliArgs(['doctor', '--base', '/assets'])).toMatchObject({ command: 'doctor', options: { urlBase: '/assets' }, warnings: [expect.stringMatching(/^--base is now --url-base/)] })
    expect(usageError([...required, '--base'])).toMatch(/^--base needs a value, e.g. --url-base <url-path>/)
  })

  it('leaves the parsed options alone when they become server options', () => {
    const parsed = options('--origin', 'http://127.0.0.1:4000', '--reload', './views/*.html', '--allowed-host', 'app.test')
    const before = structuredClone(parsed)
    const server = toServerOptions(Object.freeze(parsed), '/proj', createCliLogger())
    expect(parsed).toEqual(before)
    expect(server.allowedOrigins).not.toBe(parsed.origins)
    expect(server.watch?.paths).not.toBe(parsed.watch)
  })

  it.each([
    [['--watc', 'x'], /^unknown flag --watc: did you mean --watch\?/],
    [['--frobnicate'], /^unknown flag --frobnicate: run live-assets --help/],
    [[...required, '--port'], /^--port needs a value/],
    [[...required, '--port', '--host', 'x'], /^--port needs a value/],
    [[...required, '--port', 'abc'], /^--port must be a whole number from 0 to 65535; got "abc"/],
    [[...required, '--port', '70000'], /^--port must be a whole number/],
    [[...required, '--heartbeat', '0'], /^--heartbeat must be a whole number of at least 1/],
    [[...required, '--debounce', '-5'], /^--debounce must be a whole number/],
    [[...required, '--fallback', 'full'], /^--fallback must be one of stylesheets, page, none/],
    [[...required, '--poll=yes'], /^--poll takes no value/],
    [[...required, '--no-overlay=1'], /^--no-overlay takes no value/],
    [[...required, '--no-watch'], /cannot be negated/],
    [[...required, '--base', 'http://cdn.test/assets'], /^--base takes the URL path/],
    [[...required, '--base', '/a?b'], /^--base must be a plain URL path/],
    [[...required, '--base', '//cdn.test/assets'], /^--base takes the URL path/],
    [[...required, '--url-base', 'http://cdn.test/assets'], /^--url-base takes the URL path of your assets, not a full URL, e.g. --url-base \/assets/],
    [[...required, '--url-base', '/a b'], /^--url-base must be a plain URL path/],
    [[...required, '--token', 'a b'], /^--token must be printable ASCII/],
    [[...required, '--allowed-host', 'http://x.test:80'], /^--allowed-host takes a host name/],
    [['--watch', 'a.css', '--no-loopback-origins'], /^--no-loopback-origins leaves no page that may open the stream: .* --origin http:\/\/localhost:3000/],
    [['--origin', 'http://localhost:3000'], /^nothing to watch/],
    [[...required, '--origin', '*'], /not allowed: any website/],
    [[...required, '--origin', 'localhost:3000'], /^--origin must be an http\(s\) origin/],
    [[...required, '--origin', 'http://localhost:3000/admin'], /use --origin http:\/\/localhost:3000 instead/],
    // what an unquoted glob becomes after the shell expanded it
    [['--watch', 'a.css', 'b.css', '--origin', 'http://localhost:3000'], /^unexpected argument "b.css": quote globs/],
    [['serve', ...required], /^unexpected argument "serve": every other value needs its flag/],
    [['doctor', 'localhost:3000'], /^doctor takes the URL of a page as you open it in the browser/],
    [['doctor', 'http://localhost:3000/', 'extra'], /^unexpected argument "extra": doctor takes one page URL/],
  ])('refuses %j with a message that says what to do', (argv, message) => {
    expect(usageError(argv)).toMatch(message)
  })
})

describe('formatHelp', () => {
  it('shows --url-base in the usage and example, and --base only as its old name', () => {
    const help = formatHelp('1.2.3')
    expect(help).toContain('live-assets --watch "app/assets/**/*.css" --url-base /assets')
    expect(help.match(/--base\b/g)).toHaveLength(1)
    expect(help.replace(/\s+/g, ' ')).toContain('(--base, its old name, still works in this release, with a warning.)')
  })

  it('documents every flag within 80 columns', () => {
    const help = formatHelp('1.2.3')
    for (const flag of FLAGS) {
      expect(help).toContain(`--${flag.negatable ? '[no-]' : ''}${flag.name}`)
      if (flag.short)
        expect(help).toContain(`-${flag.short}, --${flag.name}`)
    }
    for (const line of help.split('\n'))
      expect(line.length).toBeLessThanOrEqual(80)
  })
})

describe('toServerOptions', () => {
  it('maps the command line onto core options', () => {
    const server = toServerOptions(options('--reload', '/proj/views/**/*.html', '--reload', './templates/*.njk', '--url-base', '/assets', '--poll', '--debounce', '50'), '/proj', createCliLogger())
    expect(server).toMatchObject({
      host: '127.0.0.1',
      port: 35729,
      strictPort: true,
      client: { fallback: 'stylesheets', overlay: true, debug: false },
      watch: {
        paths: ['app/assets/**/*.css', 'views/**/*.html', 'templates/*.njk'],
        cwd: '/proj',
        root: '/proj/app/assets',
        urlBase: '/assets',
        reload: ['views/**/*.html', 'templates/*.njk'],
        usePolling: true,
        debounceMs: 50,
      },
    })
    expect(toServerOptions(options('--root', 'app'), '/proj', createCliLogger()).watch?.root).toBe('/proj/app')
  })

  it('treats the loopback names of an allowed origin as the same page server', () => {
    expect(withLoopbackAliases(['http://localhost:3000', 'https://app.test'])).toEqual([
      'http://localhost:3000',
      'https://app.test',
      'http://127.0.0.1:3000',
      'http://[::1]:3000',
    ])
  })
})
