import type { LiveServer, Stats } from '@live-assets/core'
import type { RedisServer } from '../utils/redis'
import { createLiveServer, silentLogger } from '@live-assets/core'
import { redisBus } from '@live-assets/redis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openStream } from '../reliability/stream'
import { poll } from '../utils/poll'
import { startRedis } from '../utils/redis'

let redis: RedisServer
const servers: LiveServer[] = []

beforeAll(async () => {
  redis = await startRedis()
})
afterEach(async () => {
  await Promise.all(servers.splice(0).map(server => server.close()))
  await redis.command('FLUSHALL')
})
afterAll(() => redis?.close())

async function node(options: Parameters<typeof createLiveServer>[0] = {}): Promise<LiveServer> {
  const server = await createLiveServer({ port: 0, logger: silentLogger, token: 'secret', bus: redisBus({ url: redis.url }), requireBus: true, ...options })
  servers.push(server)
  return server
}

const events = (server: LiveServer): string => `${server.url}/__live_assets/events`
function named(stream: { events: { event?: string, id?: string, data: string }[] }, name: string): { id?: string, data: string }[] {
  return stream.events.filter(event => event.event === name)
}

describe('redis bus', () => {
  it('delivers an event published on one process to the pages of every process, with the same id', async () => {
    const [a, b] = [await node(), await node()]
    const [onA, onB] = [await openStream(events(a)), await openStream(events(b))]
    await poll(() => onA.events.length > 0 && onB.events.length > 0, { what: 'both hellos' })
    const id = await a.publish('reloadCSS', { files: ['/a.css'] })
    await poll(() => named(onA, 'reloadCSS').length === 1 && named(onB, 'reloadCSS').length === 1, { what: 'the event on both nodes' })
    expect(named(onA, 'reloadCSS')[0]!.id).toBe(id)
    expect(named(onB, 'reloadCSS')[0]!.id).toBe(id)
    expect(JSON.parse(named(onB, 'hello')[0]!.data).epoch).toBe(JSON.parse(named(onA, 'hello')[0]!.data).epoch)
    onA.close()
    onB.close()
  })

  it('resumes a page on another process with exactly what it missed, in order, once', async () => {
    const [a, b] = [await node(), await node()]
    const first = await a.publish('reloadCSS', { files: ['/1.css'] })
    for (let i = 2; i <= 4; i++)
      await b.publish('reloadCSS', { files: [`/${i}.css`] })
    const resumed = await openStream(events(b), { 'Last-Event-ID': first })
    await poll(() => named(resumed, 'reloadCSS').length === 3, { what: 'the three missed events' })
    await a.publish('reloadCSS', { files: ['/5.css'] })
    await poll(() => named(resumed, 'reloadCSS').length === 4, { what: 'the live event' })
    expect(named(resumed, 'reloadCSS').map(event => JSON.parse(event.data).files[0])).toEqual(['/2.css', '/3.css', '/4.css', '/5.css'])
    resumed.close()
  })

  it('answers an id the log no longer holds with one full refresh', async () => {
    const a = await node({ replay: 2 })
    const first = await a.publish('reloadCSS', { files: ['/1.css'] })
    let last = first
    for (let i = 2; i <= 5; i++)
      last = await a.publish('reloadCSS', { files: [`/${i}.css`] })
    // Its reader has delivered them: nothing live follows the refresh.
    await poll(() => a.handler.broadcaster.stats().bus.lastId === last, { what: 'the last event delivered' })
    const stream = await openStream(events(a), { 'Last-Event-ID': first })
    await poll(() => stream.events.length >= 2, { what: 'hello and the refresh' })
    expect(stream.events.map(event => [event.event, event.data])).toEqual([['hello', expect.any(String)], ['reloadCSS', '{"files":[]}']])
    stream.close()
  })

  it('lists the bus and the processes on it in /stats', async () => {
    const [a, b] = [await node(), await node()]
    const stream = await openStream(events(b))
    await poll(() => stream.events.length > 0, { what: 'hello' })
    const id = await a.publish('reloadCSS', { files: ['/a.css'] })
    await poll(() => named(stream, 'reloadCSS').length === 1, { what: 'the event' })
    const stats = await fetch(`${b.url}/__live_assets/stats`).then(answer => answer.json() as Promise<Stats>)
    expect(stats.bus).toMatchObject({ name: redis.url, connected: true, lastId: id, lagMs: expect.any(Number) })
    expect(stats.bus.lagMs).toBeLessThan(1_000)
    // Each process says it is alive when it joins: both are listed, b with its stream.
    await poll(async () => (await fetch(`${b.url}/__live_assets/stats`).then(answer => answer.json() as Promise<Stats>)).bus.nodes?.length === 2, { what: 'both processes in the list' })
    expect(stats.epoch).toBe(a.handler.broadcaster.epoch)
    stream.close()
  })

  it('fails the start with a clear error when Redis cannot be reached', async () => {
    await expect(createLiveServer({ port: 0, logger: silentLogger, bus: redisBus({ url: 'redis://127.0.0.1:1' }), requireBus: true }))
      .rejects
      .toThrow(/^\[live-assets\] could not reach Redis at redis:\/\/127\.0\.0\.1:1 .*start redis-server/)
  })
})
