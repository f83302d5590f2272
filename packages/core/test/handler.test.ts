import type { AddressInfo } from 'node:net'
import type { Handler, LiveAssetsOptions } from '../src'
import { createServer } from 'node:http'
import { createServer as createHttp2Server, connect as http2Connect } from 'node:http2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHandler, silentLogger } from '../src'
import { fetchRaw, openStream, waitFor } from './helpers'

async function mount(options: LiveAssetsOptions = {}) {
  const handler = createHandler({ logger: silentLogger, token: 'secret-token', ...options })
  const server = createServer((req, res) => handler(req, res, () => {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('from the app')
  }))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    handler,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      handler.close()
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}

let app: Awaited<ReturnType<typeof mount>>
beforeAll(async () => {
  app = await mount({ allowedOrigins: ['http://localhost:3000'], allowedHosts: ['.example.test'] })
})
afterAll(() => app.close())

describe('routing', () => {
  it('calls next() for paths outside the base', async () => {
    expect((await fetchRaw(`${app.url}/index.html`)).body).toBe('from the app')
    expect((await fetchRaw(`${app.url}/__live_assetsX/events`)).body).toBe('from the app')
  })

  it('answers unknown paths under the base with 404 and a clear message', async () => {
    const answer = await fetchRaw(`${app.url}/__live_assets/nope`)
    expect(answer.status).toBe(404)
    expect(answer.body).toMatch(/^\[live-assets\] no endpoint \/nope/)
  })

  it.each([
    ['POST', '/events', 'GET, HEAD, OPTIONS'],
    ['DELETE', '/client.js', 'GET, HEAD, OPTIONS'],
    ['PUT', '/stats', 'GET, HEAD, OPTIONS'],
    ['GET', '/publish', 'POST, OPTIONS'],
  ])('answers %s %s with 405 and Allow', async (method, path, allow) => {
    const answer = await fetchRaw(`${app.url}/__live_assets${path}`, { method })
    expect(answer.status).toBe(405)
    expect(answer.headers.allow).toBe(allow)
  })

  it('answers HEAD without a body or a subscriber, and OPTIONS with 204', async () => {
    const head = await fetchRaw(`${app.url}/__live_assets/events`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(app.handler.broadcaster.stats().subscribers).toBe(0)
    const options = await fetchRaw(`${app.url}/__live_assets/publish`, { method: 'OPTIONS', headers: { Origin: 'http://localhost:3000' } })
    expect(options.status).toBe(204)
    expect(options.headers['access-control-allow-origin']).toBe('http://localhost:3000')
    expect(options.headers['access-control-allow-headers']).toMatch(/Authorization/)
  })

  it.each(['/__live_assets/../package.json', '/__live_assets/%2e%2e/package.json', '/__live_assets/..%2fpackage.json', '/__live_assets//etc/passwd', '/__live_assets/client.js%00.map', '/__live_assets/..\\package.json'])('never reads a file for %s', async (path) => {
    const answer = await fetchRaw(`${app.url}${path}`)
    expect(answer.body).not.toMatch(/"name"|root:/)
  })
})

describe('host and origin checks', () => {
  const cases: [string, Record<string, string>, number][] = [
    ['loopback host', { Host: 'localhost:5173' }, 200],
    ['*.localhost', { Host: 'app.localhost' }, 200],
    ['[::1]', { Host: '[::1]:5173' }, 200],
    ['configured subdomain', { Host: 'web.example.test' }, 200],
    ['forged host', { Host: 'evil.example' }, 403],
    ['LAN address not configured', { Host: '192.168.1.20:5173' }, 403],
    ['same origin', { Host: 'localhost:5173', Origin: 'http://localhost:5173' }, 200],
    ['allowed origin', { Host: 'localhost:5173', Origin: 'http://localhost:3000' }, 200],
    ['another site', { Host: 'localhost:5173', Origin: 'https://evil.example' }, 403],
    ['another local port', { Host: 'localhost:5173', Origin: 'http://localhost:4000' }, 200],
    ['a loopback IP origin', { Host: 'localhost:5173', Origin: 'http://127.0.0.1:3000' }, 200],
    ['an IPv6 loopback origin over https', { Host: 'localhost:5173', Origin: 'https://[::1]:8443' }, 200],
    ['a *.localhost origin', { Host: 'localhost:5173', Origin: 'http://shop.app.localhost:8080' }, 200],
    ['a LAN origin', { Host: 'localhost:5173', Origin: 'http://192.168.1.20:3000' }, 403],
    ['a *.test origin', { Host: 'localhost:5173', Origin: 'http://myapp.test' }, 403],
    ['localhost.evil.example', { Host: 'localhost:5173', Origin: 'http://localhost.evil.example' }, 403],
    ['localhost:3000.evil.example', { Host: 'localhost:5173', Origin: 'http://localhost:3000.evil.example' }, 403],
    ['a short form of 127.0.0.1', { Host: 'localhost:5173', Origin: 'http://127.1:3000' }, 403],
    ['a loopback origin with a path', { Host: 'localhost:5173', Origin: 'http://localhost:3000/' }, 403],
    ['a loopback name on another scheme', { Host: 'localhost:5173', Origin: 'ws://localhost:3000' }, 403],
    ['null origin', { Host: 'localhost:5173', Origin: 'null' }, 403],
    ['cross-site without origin', { 'Host': 'localhost:5173', 'Sec-Fetch-Site': 'cross-site' }, 403],
    ['same-site fetch', { 'Host': 'localhost:5173', 'Sec-Fetch-Site': 'same-origin' }, 200],
  ]

  it.each(cases)('%s -> %i, and no subscriber when refused', async (_, headers, status) => {
    const before = app.handler.broadcaster.stats().peakSubscribers
    const stats = await fetchRaw(`${app.url}/__live_assets/stats`, { headers })
    expect(stats.status).toBe(status)
    if (status === 403) {
      expect(stats.body).toMatch(/^\[live-assets\] (host|origin) .* is not allowed: add/)
      const stream = await fetchRaw(`${app.url}/__live_assets/events`, { headers })
      expect(stream.status).toBe(403)
      expect(app.handler.broadcaster.stats().peakSubscribers).toBe(before)
    }
  })

  it('names the allowed origin in CORS headers and never uses *', async () => {
    const stream = await openStream(`${app.url}/__live_assets/events`, { Origin: 'http://localhost:3000' })
    expect(stream.res.headers['access-control-allow-origin']).toBe('http://localhost:3000')
    expect(stream.res.headers.vary).toBe('Origin')
    stream.close()
    const same = await fetchRaw(`${app.url}/__live_assets/stats`)
    expect(same.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('answers a loopback origin with its exact origin', async () => {
    const answer = await fetchRaw(`${app.url}/__live_assets/stats`, { headers: { Origin: 'http://127.0.0.1:4000' } })
    expect(answer.headers['access-control-allow-origin']).toBe('http://127.0.0.1:4000')
  })

  it('with loopbackOrigins: false, accepts only the page\'s own origin and allowedOrigins', async () => {
    const strict = await mount({ loopbackOrigins: false, allowedOrigins: ['http://localhost:3000'] })
    try {
      const status = async (origin: string): Promise<number> => (await fetchRaw(`${strict.url}/__live_assets/stats`, { headers: { Host: `localhost:${strict.port}`, Origin: origin } })).status
      expect(await status('http://localhost:4000')).toBe(403)
      expect(await status('http://127.0.0.1:3000')).toBe(403)
      expect(await status('http://localhost:3000')).toBe(200)
      expect(await status(`http://localhost:${strict.port}`)).toBe(200)
    }
    finally {
      await strict.close()
    }
  })

  it('says each refused origin and host once in the terminal, with the option and the flag that allow it', async () => {
    const warnings: string[] = []
    const logging = await mount({ logger: { ...silentLogger, warn: message => void warnings.push(message) } })
    try {
      for (let i = 0; i < 3; i++) {
        await fetchRaw(`${logging.url}/__live_assets/events`, { headers: { Origin: 'http://myapp.test:3000' } })
        await fetchRaw(`${logging.url}/__live_assets/events`, { headers: { Host: 'myapp.test:3000' } })
      }
      expect(warnings).toEqual([
        expect.stringMatching(/^refused \/__live_assets\/events to a page on http:\/\/myapp\.test:3000: allow that origin with allowedOrigins: \["http:\/\/myapp\.test:3000"\] \(CLI: --origin http:\/\/myapp\.test:3000\)\.$/),
        expect.stringMatching(/^refused a request for \/__live_assets\/events with Host "myapp\.test:3000": .* allowedHosts: \["myapp\.test"\] \(CLI: --allowed-host myapp\.test\)\.$/),
      ])
    }
    finally {
      await logging.close()
    }
  })

  it('serves the public client to a cross-site <script> tag, which sends no Origin', async () => {
    const script = await fetchRaw(`${app.url}/__live_assets/client.js`, { headers: { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Dest': 'script' } })
    expect(script.status).toBe(200)
  })
})

describe('client.js', () => {
  it('serves the built client from memory with its config filled in', async () => {
    const answer = await fetchRaw(`${app.url}/__live_assets/client.js`)
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(answer.headers['x-content-type-options']).toBe('nosniff')
    expect(answer.body).not.toContain('__LIVE_ASSETS_CONFIG__')
    expect(answer.body).toContain('{"base":"/__live_assets","heartbeatMs":45000,"fallback":"stylesheets","overlay":true,"debug":false}')
  })
})

describe('stats', () => {
  it('reports counters as JSON', async () => {
    const answer = await fetchRaw(`${app.url}/__live_assets/stats`)
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(JSON.parse(answer.body)).toEqual({
      subscribers: expect.any(Number),
      peakSubscribers: expect.any(Number),
      eventsPublished: expect.any(Number),
      dropped: { backpressure: 0, full: 0 },
      uptimeMs: expect.any(Number),
      epoch: app.handler.broadcaster.epoch,
      version: expect.any(String),
      bus: { name: 'memory', connected: true, lastId: expect.stringMatching(new RegExp(`^${app.handler.broadcaster.epoch}-\\d+$`)) },
    })
  })
})

describe('publish', () => {
  const publish = (body: string, headers: Record<string, string> = { Authorization: 'Bearer secret-token' }) =>
    fetchRaw(`${app.url}/__live_assets/publish`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body })

  it('publishes a named event for a caller with the token', async () => {
    const stream = await openStream(`${app.url}/__live_assets/events`)
    const answer = await publish(JSON.stringify({ event: 'reloadCSS', data: { files: ['/a.css'] } }))
    expect(answer.status).toBe(200)
    await waitFor(() => stream.events.length === 2)
    expect(stream.events[1]).toMatchObject({ event: 'reloadCSS', id: JSON.parse(answer.body).id, data: '{"files":["/a.css"]}' })
    stream.close()
  })

  it.each([
    ['no token', {}],
    ['a wrong token', { Authorization: 'Bearer secret-tokem' }],
    ['another scheme', { Authorization: 'Basic secret-token' }],
  ])('refuses %s with 401', async (_, headers) => {
    const before = app.handler.broadcaster.stats().eventsPublished
    const answer = await publish('{"event":"reload","data":{}}', headers)
    expect(answer.status).toBe(401)
    expect(answer.headers['www-authenticate']).toBe('Bearer')
    expect(app.handler.broadcaster.stats().eventsPublished).toBe(before)
  })

  it.each([
    ['broken JSON', '{"event":', 400],
    ['no event', '{"data":1}', 400],
    ['a name with a line break', '{"event":"a\\nid: 1"}', 400],
    ['a reserved name', '{"event":"ping"}', 400],
    ['a huge body', JSON.stringify({ event: 'x', data: 'y'.repeat(1024 * 1024) }), 413],
  ])('refuses %s with a clear message', async (_, body, status) => {
    const answer = await publish(body)
    expect(answer.status).toBe(status)
    expect(answer.body).toMatch(/^\[live-assets\] publish/)
  })

  it('generates one token per process and prints it once', async () => {
    const lines: string[] = []
    const logger = { ...silentLogger, info: (m: string) => lines.push(m) }
    const first: Handler = createHandler({ logger })
    const second: Handler = createHandler({ logger })
    expect(first.options.token).toMatch(/^[\w-]{24}$/)
    expect(second.options.token).toBe(first.options.token)
    expect(lines).toEqual([`publish token for POST /__live_assets/publish: ${first.options.token}`])
    first.close()
    second.close()
  })
})

describe('hTTP/2', () => {
  it('streams without a Connection header', async () => {
    const handler = createHandler({ logger: silentLogger })
    const server = createHttp2Server((req, res) => handler(req as any, res as any))
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    const session = http2Connect(`http://127.0.0.1:${port}`)
    const req = session.request({ ':path': '/__live_assets/events' })
    const headers = await new Promise<Record<string, unknown>>(resolve => req.on('response', resolve))
    expect(headers[':status']).toBe(200)
    expect(headers.connection).toBeUndefined()
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
    })
    handler.publish('reloadCSS', { files: ['/a.css'] })
    await waitFor(() => body.includes('event: reloadCSS'))
    req.close()
    session.close()
    handler.close()
    await new Promise(resolve => server.close(resolve))
  })
})
