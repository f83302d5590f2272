import type { LivePage } from '../utils/live-page'
import type { RedisServer } from '../utils/redis'
import type { FollowedStream, LiveNode, Site } from './cluster'
import { request } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openPage } from '../utils/live-page'
import { poll } from '../utils/poll'
import { killAll } from '../utils/process'
import { startRedis } from '../utils/redis'
import { appColor, followStream, named, publish, readLog, startNode, startSite, stats } from './cluster'

let redis: RedisServer
let site: Site
let nodes: LiveNode[] = []
const pages: LivePage[] = []
const readers: FollowedStream[] = []

beforeAll(async () => {
  redis = await startRedis()
  site = await startSite()
  // --debug: a node that loses the claim of a change says so, which tells when all three have handled it.
  nodes = await Promise.all([1, 2, 3].map(() => startNode(site, redis, ['--debug'])))
})
afterEach(async () => {
  readers.splice(0).forEach(reader => reader.close())
  await Promise.all(pages.splice(0).map(page => page.close()))
})
afterAll(async () => {
  await Promise.all(nodes.map(node => node.stop('SIGKILL')))
  killAll()
  await site?.close()
  await redis?.close()
})

const PUBLISHED = /css update: \/css\/app\.css/g
const LOST_CLAIM = /css\/app\.css: already published by another process/g
/** How many nodes have handled their watcher's change of app.css so far: the one that published it, and the others. */
const handled = (): number => nodes.reduce((sum, node) => sum + node.count(PUBLISHED) + node.count(LOST_CLAIM), 0)

describe('three CLI processes on one Redis', () => {
  it('publishes an edit seen by all three watchers once, and restyles the pages on every node with the same event', async () => {
    for (const node of nodes)
      pages.push(await openPage(site.pageFor(node.origin)))
    for (const node of nodes)
      readers.push(followStream(`${node.endpoints}/events`))
    await poll(() => readers.every(reader => named(reader.events, 'hello').length === 1), { what: 'a hello on every reader' })
    const epochs = readers.map(reader => JSON.parse(named(reader.events, 'hello')[0]!.data).epoch)
    expect(new Set(epochs).size).toBe(1)
    expect(await redis.clients()).toBe(2 * nodes.length)

    for (const [round, blue] of [[1, 101], [2, 202]]) {
      const logged = (await readLog(redis)).length
      await site.writeApp(blue)
      await Promise.all(pages.map(page => poll(async () => await page.style('#app', 'color') === appColor(blue), { what: `${appColor(blue)} on every page` })))
      await poll(() => handled() >= 3 * round, { what: `all three nodes to handle edit ${round}` })
      expect(handled()).toBe(3 * round)
      const added = (await readLog(redis)).slice(logged)
      expect(added.map(entry => [entry.event, entry.data])).toEqual([['reloadCSS', '{"files":["/css/app.css"]}']])
      // Every node delivered it under the one id of the log, once.
      await poll(() => readers.every(reader => named(reader.events, 'reloadCSS').length === round), { what: `reloadCSS ${round} on every reader` })
      const ids = readers.map(reader => named(reader.events, 'reloadCSS')[round - 1]!.id)
      expect(new Set(ids).size).toBe(1)
      expect(ids[0]).toBe(`${epochs[0]}-${added[0]!.id.slice(2)}`)
      expect(nodes.reduce((sum, node) => sum + node.count(PUBLISHED), 0)).toBe(round)
    }
    // The stylesheet nobody edited was never fetched again, and no page reloaded.
    expect(site.refetches('other.css')).toBe(0)
    for (const page of pages)
      expect(await page.sentinel()).toBe(page.firstSentinel)
  })

  it('delivers POST /publish on node 2 (with the shared token) to the pages on nodes 1 and 3', async () => {
    const [one, two, three] = nodes as [LiveNode, LiveNode, LiveNode]
    const onOne = await openPage(site.pageFor(one.origin))
    const onThree = await openPage(site.pageFor(three.origin))
    pages.push(onOne, onThree)
    const before = site.refetches('other.css')
    const id = await publish(two.origin, 'reloadCSS', { files: ['/css/other.css'] })
    for (const page of [onOne, onThree]) {
      await page.waitForEvents('after-swap', 1)
      expect((await page.events('after-swap')).map(detail => detail.files)).toEqual([[`${site.pages.url}/css/other.css`]])
    }
    expect(site.refetches('other.css')).toBe(before + 2)
    const last = await readLog(redis)
    expect(last.at(-1)).toMatchObject({ id: `0-${id.split('-')[1]}`, event: 'reloadCSS' })
  })
})

/** Opens a stream, waits for its `hello`, and closes it; resolves once the server has answered. */
function cycle(url: string, lastEventId?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: lastEventId ? { 'Last-Event-ID': lastEventId } : {} }, (res) => {
      if (res.statusCode !== 200) {
        req.destroy()
        return reject(new Error(`${url} answered ${res.statusCode}`))
      }
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
        if (text.includes('event: hello')) {
          req.destroy()
          resolve()
        }
      })
      res.on('error', () => {})
    })
    req.on('error', reject)
    req.end()
  })
}

describe('churn', () => {
  it('5,000 stream open/close cycles across the nodes leave no subscriber and no extra Redis connection behind', async () => {
    const clientsBefore = await redis.clients()
    expect(clientsBefore).toBe(2 * nodes.length)
    const id = await publish(nodes[0]!.origin, 'probe', { n: 0 })
    const total = 5_000
    const concurrency = 50
    let next = 0
    const startedAt = performance.now()
    // Half of them resume from an id (read from Redis), half join fresh.
    await Promise.all(Array.from({ length: concurrency }, async () => {
      for (let n = next++; n < total; n = next++)
        await cycle(`${nodes[n % nodes.length]!.endpoints}/events`, n % 2 ? id : undefined)
    }))
    const ms = performance.now() - startedAt
    console.info(`[redis] churn: ${total} stream cycles over ${nodes.length} nodes, ${concurrency} at a time, in ${ms.toFixed(0)} ms (${(total / ms * 1000).toFixed(0)}/s)`)
    await poll(async () => (await Promise.all(nodes.map(node => stats(node.origin)))).every(s => s.subscribers === 0), { what: 'subscribers: 0 on every node' })
    for (const node of nodes) {
      const { peakSubscribers, bus } = await stats(node.origin)
      expect(peakSubscribers).toBeGreaterThan(1)
      expect(bus.connected).toBe(true)
    }
    expect(await redis.clients()).toBe(clientsBefore)
  })
})
