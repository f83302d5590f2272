import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Bus } from '../src'
import { Buffer } from 'node:buffer'
import { EventEmitter } from 'node:events'
import { createParser } from 'eventsource-parser'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createBroadcaster, memoryBus, silentLogger } from '../src'

/** Pure-logic fake of a response: records what is written. The real-HTTP proof is in server.test.ts. */
function fakeClient() {
  const events: { event?: string, id?: string, data: string }[] = []
  const parser = createParser({ onEvent: e => events.push(e) })
  const res = Object.assign(new EventEmitter(), {
    writableLength: 0,
    socket: null,
    writeHead: vi.fn(),
    flushHeaders: vi.fn(),
    write: (chunk: Buffer | string) => parser.feed(chunk.toString()),
    end: vi.fn(),
    destroy: vi.fn(),
  })
  const req = { httpVersionMajor: 2 }
  return { req: req as unknown as IncomingMessage, res: res as unknown as ServerResponse & EventEmitter, events }
}

/** Lets the bus's promises settle. */
const settle = (): Promise<void> => vi.advanceTimersByTimeAsync(0).then(() => undefined)

const defaults = { heartbeatMs: 10_000, retryMs: 1000, replay: 100, maxBufferedBytes: 1 << 20, maxSubscribers: Infinity, version: '0.0.0', logger: silentLogger }

describe('broadcaster', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('pings every heartbeat, and stops after close()', async () => {
    const b = createBroadcaster(defaults)
    await b.ready
    const client = fakeClient()
    b.subscribe(client.req, client.res)
    vi.advanceTimersByTime(9_999)
    expect(client.events.map(e => e.event)).toEqual(['hello'])
    vi.advanceTimersByTime(1)
    expect(client.events.map(e => e.event)).toEqual(['hello', 'ping'])
    vi.advanceTimersByTime(20_000)
    expect(client.events.filter(e => e.event === 'ping')).toHaveLength(3)
    b.close()
    b.close()
    expect(client.res.end).toHaveBeenCalledTimes(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('never keeps the process alive with its heartbeat', () => {
    vi.useRealTimers()
    const timers: NodeJS.Timeout[] = []
    const spy = vi.spyOn(globalThis, 'setInterval').mockImplementation(((fn: () => void, ms: number) => {
      const timer = setTimeout(fn, ms)
      timers.push(timer)
      return timer
    }) as typeof setInterval)
    const b = createBroadcaster(defaults)
    spy.mockRestore()
    expect(timers).toHaveLength(1)
    expect(timers[0].hasRef()).toBe(false)
    b.close()
    clearTimeout(timers[0])
  })

  it('encodes each event once and writes the same bytes to every subscriber', async () => {
    const b = createBroadcaster(defaults)
    await b.ready
    const clients = [fakeClient(), fakeClient(), fakeClient()]
    const chunks: unknown[][] = clients.map(() => [])
    clients.forEach((c, i) => {
      b.subscribe(c.req, c.res)
      const write = c.res.write
      c.res.write = ((chunk: Buffer) => {
        chunks[i].push(chunk)
        return write(chunk)
      }) as any
    })
    b.publish('reloadCSS', { files: ['/a.css'] })
    expect(chunks[0][0]).toBeInstanceOf(Buffer)
    expect(chunks[1][0]).toBe(chunks[0][0])
    expect(chunks[2][0]).toBe(chunks[0][0])
    b.close()
  })

  it('keeps only the last `replay` events', async () => {
    const b = createBroadcaster({ ...defaults, replay: 2 })
    await b.ready
    for (let i = 1; i <= 5; i++)
      b.publish('reloadCSS', { files: [`/${i}.css`] })
    const resumed = fakeClient()
    b.subscribe(resumed.req, resumed.res, `${b.epoch}-3`)
    const expired = fakeClient()
    b.subscribe(expired.req, expired.res, `${b.epoch}-2`)
    await settle()
    expect(resumed.events.map(e => e.id)).toEqual([`${b.epoch}-3`, `${b.epoch}-4`, `${b.epoch}-5`])
    expect(expired.events.map(e => [e.event, e.data])).toEqual([['hello', expect.any(String)], ['reloadCSS', '{"files":[]}']])
    b.close()
  })

  it('with replay 0, any missed event means a full refresh', async () => {
    const b = createBroadcaster({ ...defaults, replay: 0 })
    await b.ready
    b.publish('reloadCSS', { files: ['/1.css'] })
    const current = fakeClient()
    b.subscribe(current.req, current.res, `${b.epoch}-1`)
    const behind = fakeClient()
    b.subscribe(behind.req, behind.res, `${b.epoch}-0`)
    await settle()
    expect(current.events.map(e => e.event)).toEqual(['hello'])
    expect(behind.events.map(e => e.event)).toEqual(['hello', 'reloadCSS'])
    b.close()
  })

  it('keeps the pending build error: sent after every hello, resolved by clearError or a good reloadCSS', async () => {
    const b = createBroadcaster(defaults)
    await b.ready
    const names = (events: { event?: string }[]): (string | undefined)[] => events.map(e => e.event)
    const open = async (lastEventId?: string): Promise<ReturnType<typeof fakeClient>['events']> => {
      const client = fakeClient()
      b.subscribe(client.req, client.res, lastEventId)
      await settle()
      return client.events
    }
    const live = await open()
    const errorId = await b.publish('error', { message: 'broken' })
    expect(names(await open())).toEqual(['hello', 'error'])
    // A page hides its overlay on each hello: a resume after the error gets it again, one before gets it replayed.
    expect(names(await open(errorId))).toEqual(['hello', 'error'])
    expect(names(await open(`${b.epoch}-0`))).toEqual(['hello', 'error'])
    expect(names(await open('other-1'))).toEqual(['hello', 'reloadCSS', 'error'])

    // A caller that resolves errors itself: the error stays.
    await b.publish('reloadCSS', { files: ['/a.css'] }, { resolvesError: false })
    expect(names(await open())).toEqual(['hello', 'error'])
    // Any other good reloadCSS resolves it, and says so first.
    const swapId = await b.publish('reloadCSS', { files: ['/b.css'] })
    expect(names(live)).toEqual(['hello', 'error', 'reloadCSS', 'clearError', 'reloadCSS'])
    expect(live.at(-2)!.id).toBe(`${b.epoch}-3`)
    expect(swapId).toBe(`${b.epoch}-4`)
    expect(names(await open())).toEqual(['hello'])
    expect(names(await open(errorId)).slice(1)).toEqual(['reloadCSS', 'clearError', 'reloadCSS'])

    await b.publish('error', { message: 'again' })
    await b.publish('clearError', {})
    await b.publish('reloadCSS', { files: ['/c.css'] })
    expect(names(live).slice(-3)).toEqual(['error', 'clearError', 'reloadCSS'])
    expect(names(await open())).toEqual(['hello'])
    await b.close()
  })

  it('holds back live events while a resume is read from the bus, then sends each once, in order', async () => {
    // A bus whose reads answer only when told: a shared log answers over the network.
    const reads: (() => void)[] = []
    const memory = memoryBus()
    const slowBus: Bus = {
      name: 'slow',
      async open(listener, options) {
        const connection = await memory.open(listener, options)
        return { ...connection, since: id => new Promise(resolve => reads.push(() => resolve(connection.since(id)))) }
      },
    }
    const b = createBroadcaster({ ...defaults, bus: slowBus })
    await b.ready
    await b.publish('reloadCSS', { files: ['/1.css'] })
    const resumed = fakeClient()
    b.subscribe(resumed.req, resumed.res, `${b.epoch}-0`)
    await b.publish('reloadCSS', { files: ['/2.css'] })
    expect(resumed.events).toEqual([])
    reads.shift()!()
    await settle()
    await b.publish('reloadCSS', { files: ['/3.css'] })
    expect(resumed.events.map(e => [e.event, e.id])).toEqual([
      ['hello', `${b.epoch}-0`],
      ['reloadCSS', `${b.epoch}-1`],
      ['reloadCSS', `${b.epoch}-2`],
      ['reloadCSS', `${b.epoch}-3`],
    ])
    await b.close()
  })

  it('skips what a page was sent ahead of this process\'s reader, then makes it live (pings included) once the reader is there', async () => {
    // A shared log whose reader here is behind: the page moved from another process that had delivered more.
    const held: (() => void)[] = []
    const memory = memoryBus()
    const laggingBus: Bus = {
      name: 'lagging',
      async open(listener, options) {
        return memory.open({ ...listener, entry: entry => void held.push(() => listener.entry(entry)) }, options)
      },
    }
    const b = createBroadcaster({ ...defaults, bus: laggingBus })
    await b.ready
    await b.publish('reloadCSS', { files: ['/1.css'] })
    await b.publish('reloadCSS', { files: ['/2.css'] })
    const moved = fakeClient()
    b.subscribe(moved.req, moved.res, `${b.epoch}-0`)
    await settle()
    expect(moved.events.map(e => e.id)).toEqual([`${b.epoch}-0`, `${b.epoch}-1`, `${b.epoch}-2`])
    held.splice(0).forEach(deliver => deliver())
    expect(moved.events).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(defaults.heartbeatMs)
    expect(moved.events.map(e => e.event)).toEqual(['hello', 'reloadCSS', 'reloadCSS', 'ping'])
    await b.close()
  })

  it('gives a resume one full refresh when the bus does not say in 2 s what the page missed', async () => {
    const memory = memoryBus()
    const silentBus: Bus = {
      name: 'paused',
      async open(listener, options) {
        return { ...await memory.open(listener, options), since: () => new Promise(() => {}) }
      },
    }
    const b = createBroadcaster({ ...defaults, bus: silentBus })
    await b.ready
    await b.publish('reloadCSS', { files: ['/1.css'] })
    const resumed = fakeClient()
    b.subscribe(resumed.req, resumed.res, `${b.epoch}-0`)
    await vi.advanceTimersByTimeAsync(1_999)
    expect(resumed.events).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(resumed.events.map(e => [e.event, e.id, e.data])).toEqual([['hello', `${b.epoch}-1`, expect.any(String)], ['reloadCSS', `${b.epoch}-1`, '{"files":[]}']])
    await b.close()
  })

  it('falls back to memory with a warning when the bus cannot be reached, or rejects `ready` when it is required', async () => {
    const unreachable: Bus = { name: 'nowhere', open: async () => Promise.reject(new Error('[live-assets] could not reach nowhere: refused.')) }
    const warn = vi.fn()
    const b = createBroadcaster({ ...defaults, bus: unreachable, logger: { ...silentLogger, warn } })
    await b.ready
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^could not reach nowhere: refused\. .*only its own pages/))
    const client = fakeClient()
    b.subscribe(client.req, client.res)
    expect(await b.publish('reloadCSS', { files: ['/a.css'] })).toBe(`${b.epoch}-1`)
    expect(client.events.map(e => e.event)).toEqual(['hello', 'reloadCSS'])
    expect(b.stats().bus).toMatchObject({ name: 'memory', connected: true })
    await b.close()

    const required = createBroadcaster({ ...defaults, bus: unreachable, requireBus: true })
    await expect(required.ready).rejects.toThrow(/could not reach nowhere/)
    await required.close()
  })
})
