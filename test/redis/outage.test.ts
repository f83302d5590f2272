import type { LivePage } from '../utils/live-page'
import type { RedisServer } from '../utils/redis'
import type { FollowedStream, LiveNode, Site } from './cluster'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fetchRaw, quantile, summary } from '../reliability/stream'
import { openPage } from '../utils/live-page'
import { poll } from '../utils/poll'
import { killAll } from '../utils/process'
import { startRedis } from '../utils/redis'
import { appColor, followStream, named, publish, readLog, startNode, startSite, stats } from './cluster'

let redis: RedisServer
let site: Site
let nodes: LiveNode[] = []
let pages: LivePage[] = []
let readers: FollowedStream[] = []
let color = 0

beforeAll(async () => {
  // Persistent (an append-only file synced on every write): stop + start keeps the log, start({ empty }) drops it.
  redis = await startRedis({ persist: true })
  site = await startSite()
  nodes = await Promise.all([1, 2].map(() => startNode(site, redis, ['--heartbeat', '500'])))
})
afterEach(async () => {
  redis.resume()
  readers.splice(0).forEach(reader => reader.close())
  await Promise.all(pages.splice(0).map(page => page.close()))
})
afterAll(async () => {
  killAll()
  await site?.close()
  await redis?.close()
})

/** A page and a reader on each node, connected. */
async function connectAll(): Promise<void> {
  pages = await Promise.all(nodes.map(node => openPage(site.pageFor(node.origin))))
  readers = nodes.map(node => followStream(`${node.endpoints}/events`))
  await poll(() => readers.every(reader => named(reader.events, 'hello').length === 1), { what: 'a hello on every reader' })
  await poll(async () => (await Promise.all(nodes.map(node => stats(node.origin)))).every(s => s.subscribers === 2), { what: 'two streams on every node' })
}

async function edit(): Promise<number> {
  await site.writeApp(++color)
  return color
}
function restyled(blue: number): Promise<unknown> {
  return Promise.all(pages.map(page => poll(async () => await page.style('#app', 'color') === appColor(blue), { what: `${appColor(blue)} on every page` })))
}
const probes = (reader: FollowedStream): number[] => named(reader.events, 'probe').map(event => JSON.parse(event.data).n)
async function connectedEverywhere(connected: boolean): Promise<boolean> {
  return (await Promise.all(nodes.map(node => stats(node.origin)))).every(s => s.bus.connected === connected)
}
/** Full refreshes so far: only one re-fetches other.css, which nobody edits. */
const fullRefreshes = (): number => site.refetches('other.css')

describe('redis goes away and comes back', () => {
  it('paused (SIGSTOP): the nodes keep answering HTTP at once while a publish waits; after SIGCONT it arrives', async () => {
    await connectAll()
    redis.pause()
    let answered: string | undefined
    const waiting = publish(nodes[0]!.origin, 'probe', { n: 1 }).then(id => answered = id)
    // A node waiting on Redis would not answer at all; on a busy 2-core machine one answer may still be slow.
    const times: number[] = []
    for (let round = 0; round < 3; round++) {
      for (const node of nodes) {
        for (const route of ['stats', 'client.js']) {
          const startedAt = performance.now()
          const answer = await fetchRaw(`${node.endpoints}/${route}`)
          times.push(performance.now() - startedAt)
          expect(answer.status).toBe(200)
        }
      }
    }
    console.info(`[redis] paused: GET /stats and /client.js on both nodes, 3 rounds: ${summary(times)}`)
    expect(quantile(times.sort((a, b) => a - b), 0.5)).toBeLessThan(200)
    expect(times.at(-1)).toBeLessThan(1000)
    expect(answered).toBeUndefined()
    expect(readers.every(reader => probes(reader).length === 0)).toBe(true)
    redis.resume()
    const id = await waiting
    await poll(() => readers.every(reader => probes(reader).length === 1), { what: 'the waiting event on every reader' })
    for (const reader of readers)
      expect(named(reader.events, 'probe')[0]!.id).toBe(id)
    expect(readers.every(reader => reader.connections() === 1)).toBe(true)
  })

  it('killed (SIGKILL): open streams stay open with heartbeats, /stats says disconnected, and an edit made meanwhile arrives once it is back', async () => {
    await connectAll()
    const refreshes = fullRefreshes()
    await redis.kill()
    await poll(() => connectedEverywhere(false), { what: 'bus.connected false on every node' })
    const pings = readers.map(reader => named(reader.events, 'ping').length)
    const blue = await edit()
    const published = publish(nodes[1]!.origin, 'probe', { n: 1 })
    // Heartbeats come from the node itself: the streams stay open while Redis is down.
    await poll(() => readers.every((reader, i) => named(reader.events, 'ping').length >= pings[i]! + 2), { what: 'two more heartbeats on every stream' })
    expect(readers.every(reader => reader.open() && reader.connections() === 1)).toBe(true)
    expect(readers.every(reader => named(reader.events, 'reloadCSS').length === 0)).toBe(true)

    await redis.start()
    await poll(() => connectedEverywhere(true), { what: 'bus.connected true on every node' })
    await published
    await restyled(blue)
    await poll(() => readers.every(reader => probes(reader).length === 1 && named(reader.events, 'reloadCSS').length === 1), { what: 'the edit and the probe on every reader' })
      .catch((error: Error) => {
        const seen = readers.map(reader => `${probes(reader).length} probe(s), reloadCSS ${JSON.stringify(named(reader.events, 'reloadCSS').map(event => [event.id, event.data]))}`)
        throw new Error(`${error.message}; per reader: ${seen.join(' | ')}`)
      })
    expect(readers.every(reader => reader.connections() === 1)).toBe(true)
    expect(fullRefreshes()).toBe(refreshes)
  })

  it('killed and back without its data: the pages refresh every stylesheet once, which shows the edit made meanwhile', async () => {
    await connectAll()
    const refreshes = fullRefreshes()
    await redis.kill()
    await poll(() => connectedEverywhere(false), { what: 'bus.connected false on every node' })
    const blue = await edit()
    await redis.start({ empty: true })
    await Promise.all(pages.map(page => page.waitForEvents('connect', 2)))
    await restyled(blue)
    await poll(() => fullRefreshes() === refreshes + pages.length, { what: 'one full refresh per page' })
    const later = await edit()
    await restyled(later)
    expect(fullRefreshes()).toBe(refreshes + pages.length)
    for (const page of pages)
      expect(await page.events('connect')).toHaveLength(2)
  })

  it('restarted with its data: every event published meanwhile and after arrives once, in order, without a full refresh', async () => {
    await connectAll()
    const refreshes = fullRefreshes()
    const from = Number((await readLog(redis)).at(-1)?.id.slice(2) ?? 0)
    // Data that takes Redis ~0.5 s to read back at start: it answers LOADING meanwhile, also to the commands the
    // nodes queued while it was away.
    await redis.command('EVAL', `for i = 1, 400000 do redis.call('SET', 'filler:' .. i, i) end return 1`, '0')
    await publish(nodes[0]!.origin, 'probe', { n: 0 })
    await redis.stop()
    await poll(() => connectedEverywhere(false), { what: 'bus.connected false on every node' })
    // Published while Redis is down: each waits in its node's queue.
    const meanwhile = [publish(nodes[0]!.origin, 'probe', { n: 1 }), publish(nodes[1]!.origin, 'probe', { n: 2 })]
    const blue = await edit()
    await redis.start()
    await Promise.all(meanwhile)
    await poll(() => connectedEverywhere(true), { what: 'bus.connected true on every node' })
    for (let n = 3; n < 6; n++)
      await publish(nodes[n % 2]!.origin, 'probe', { n })
    const last = await edit()
    await restyled(last)
    await poll(() => readers.every(reader => probes(reader).length >= 6 && named(reader.events, 'reloadCSS').length >= 2), { what: 'every event on every reader' })
    // Both edits went into the log once each: what the readers got is the log.
    const log = (await readLog(redis)).filter(entry => Number(entry.id.slice(2)) > from)
    expect(log.filter(entry => entry.event === 'reloadCSS').map(entry => entry.data)).toEqual(['{"files":["/css/app.css"]}', '{"files":["/css/app.css"]}'])
    for (const reader of readers) {
      const got = reader.events.filter(event => event.event !== 'hello' && event.id).map(event => [Number(event.id!.split('-')[1]), event.event, event.data])
      expect(got).toEqual(log.map(entry => [Number(entry.id.slice(2)), entry.event, entry.data]))
      expect(probes(reader).sort()).toEqual([0, 1, 2, 3, 4, 5])
      expect(probes(reader).slice(3)).toEqual([3, 4, 5])
    }
    expect(readers.every(reader => reader.connections() === 1)).toBe(true)
    expect(blue).toBe(last - 1)
    expect(fullRefreshes()).toBe(refreshes)
  })

  it('restarted empty: the pages refresh every stylesheet once, then get the edits that follow', async () => {
    await connectAll()
    const refreshes = fullRefreshes()
    const epoch = (await pages[0]!.events('connect'))[0].epoch
    await redis.stop()
    await redis.start({ empty: true })
    // The nodes find the log started anew and end their streams; the pages come back into the new epoch.
    await Promise.all(pages.map(page => page.waitForEvents('connect', 2)))
    await poll(() => fullRefreshes() === refreshes + pages.length, { what: 'one full refresh per page' })
    for (const page of pages) {
      const connects = await page.events('connect')
      expect(connects).toHaveLength(2)
      expect(connects[1].epoch).not.toBe(epoch)
    }
    const blue = await edit()
    await restyled(blue)
    await poll(() => readers.every(reader => named(reader.events, 'reloadCSS').some(event => event.data.includes('app.css'))), { what: 'the edit on every reader' })
    expect(fullRefreshes()).toBe(refreshes + pages.length)
    expect(await Promise.all(pages.map(async page => await page.sentinel() === page.firstSentinel))).toEqual([true, true])
  })
})
