import type { Nginx } from '../reliability/nginx'
import type { LivePage } from '../utils/live-page'
import type { RedisServer } from '../utils/redis'
import type { FollowedStream, LiveNode, Site } from './cluster'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNginx } from '../reliability/nginx'
import { openPage } from '../utils/live-page'
import { poll } from '../utils/poll'
import { killAll } from '../utils/process'
import { startRedis } from '../utils/redis'
import { appColor, followStream, named, publish, readLog, startNode, startSite, stats } from './cluster'

let redis: RedisServer
let site: Site
let nodes: LiveNode[] = []
let nginx: Nginx
let page: LivePage | undefined
const readers: FollowedStream[] = []

beforeAll(async () => {
  redis = await startRedis()
  site = await startSite()
  nodes = await Promise.all([1, 2].map(() => startNode(site, redis, ['--heartbeat', '1000'])))
  // Round robin over both nodes; a node that refuses the connection is skipped (proxy_next_upstream's default).
  nginx = await startNginx(`
    location / {
      proxy_pass http://live_assets;
      proxy_http_version 1.1;
      proxy_set_header Connection '';
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_connect_timeout 2s;
    }`, `upstream live_assets { ${nodes.map(node => `server 127.0.0.1:${node.port};`).join(' ')} }`)
})
afterAll(async () => {
  readers.splice(0).forEach(reader => reader.close())
  await page?.close()
  await nginx?.close()
  killAll()
  await site?.close()
  await redis?.close()
})

/** How many streams each node holds now. */
const held = async (): Promise<number[]> => Promise.all(nodes.filter(node => !node.child.killed).map(async node => (await stats(node.origin)).subscribers))
const probes = (reader: FollowedStream): number[] => named(reader.events, 'probe').map(event => JSON.parse(event.data).n)

describe('two nodes behind nginx', () => {
  it('moves a page to the other node when its node is killed, and it catches up: every event once, in order', async () => {
    page = await openPage(site.pageFor(nginx.url))
    // The page's stream is on one node; a reader through nginx is opened until one lands there too (round robin).
    const doomed = await poll(async () => nodes[(await held()).indexOf(1)], { what: 'the page\'s stream on a node' })
    const survivor = nodes.find(node => node !== doomed)!
    for (let attempt = 0; attempt < 10 && (await stats(doomed.origin)).subscribers < 2; attempt++) {
      const before = (await held()).reduce((a, b) => a + b, 0)
      readers.push(followStream(`${nginx.url}/__live_assets/events`))
      await poll(async () => (await held()).reduce((a, b) => a + b, 0) === before + 1, { what: 'the reader to be counted' })
    }
    expect((await stats(doomed.origin)).subscribers, 'no reader landed on the page\'s node').toBe(2)

    const total = 40
    // Before the move: on the page's node, and an edit that one of the two watchers publishes.
    for (let n = 0; n < 10; n++)
      await publish(doomed.origin, 'probe', { n })
    await site.writeApp(1)
    await poll(async () => await page!.style('#app', 'color') === appColor(1), { what: 'the first edit on the page' })

    // During the move: the page's node dies at once; events keep coming from the other one.
    await doomed.stop('SIGKILL')
    for (let n = 10; n < 30; n++) {
      await publish(survivor.origin, 'probe', { n })
      if (n === 20)
        await site.writeApp(2)
    }
    await page.waitForEvents('connect', 2)
    await poll(() => readers.every(reader => reader.open()), { what: 'every reader to be connected again' })
    // After it.
    for (let n = 30; n < total; n++)
      await publish(survivor.origin, 'probe', { n })
    await site.writeApp(3)

    const expected = Array.from({ length: total }, (_, n) => n)
    await poll(() => readers.every(reader => probes(reader).length >= total), { what: `${total} probes on every reader` })
    await poll(async () => await page!.style('#app', 'color') === appColor(3), { what: 'the last edit on the page' })
    const log = await readLog(redis)
    const edits = log.filter(entry => entry.event === 'reloadCSS')
    expect(edits.map(entry => entry.data)).toEqual(Array.from({ length: 3 }, () => '{"files":["/css/app.css"]}'))
    for (const reader of readers) {
      // 0 lost, 0 duplicated, in order; the ids grow by one per event of the log.
      expect(probes(reader)).toEqual(expected)
      const ids = reader.events.filter(event => event.event !== 'hello' && event.id).map(event => Number(event.id!.split('-')[1]))
      expect(ids).toEqual(log.map(entry => Number(entry.id.slice(2))))
      // One epoch: the other node is the same log, not a restarted server.
      expect(new Set(named(reader.events, 'hello').map(event => JSON.parse(event.data).epoch)).size).toBe(1)
    }
    expect(Math.max(...readers.map(reader => reader.connections()))).toBe(2)
    // The page followed: one reconnect, each edit swapped once, no full refresh (other.css untouched), no reload.
    const connects = await page.events('connect')
    expect(connects).toHaveLength(2)
    expect(connects[1].epoch).toBe(connects[0].epoch)
    await poll(() => site.refetches('app.css') >= edits.length, { what: 'a swap per edit' })
    expect(site.refetches('app.css')).toBe(edits.length)
    expect(site.refetches('other.css')).toBe(0)
    expect(await page.sentinel()).toBe(page.firstSentinel)
    expect((await stats(survivor.origin)).subscribers).toBe(readers.length + 1)
  })
})
