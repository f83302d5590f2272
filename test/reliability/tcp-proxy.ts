import type { Buffer } from 'node:buffer'
import type { AddressInfo, Socket } from 'node:net'
import { connect, createServer } from 'node:net'

export interface Hop {
  /** `performance.now()` when the browser opened this connection. */
  openedAt: number
  /** Whether a request for the event stream went through it. */
  events: boolean
  /** Pings passed on to the browser. */
  pings: number
  /** When the proxy last passed bytes on to the browser. */
  lastForwardedAt: number
  /** When the browser closed it (the proxy never closes a connection on its own while the upstream is open). */
  closedAt?: number
  /** Bytes from the server are dropped from now on; both sockets stay open. */
  frozen: boolean
  /** Drops both connections at once, like a proxy restart. */
  cut: () => void
}

export interface FreezingProxy {
  url: string
  /** Port of the server behind; set before the first connection. */
  target: number
  hops: Hop[]
  close: () => Promise<void>
}

/**
 * A TCP proxy that can stop passing the server's bytes on while keeping both connections open: a stalled proxy,
 * a suspended VPN, a half-dead Wi-Fi. What the browser then sees is an open socket that has gone silent.
 */
export async function startFreezingProxy(): Promise<FreezingProxy> {
  const sockets = new Set<Socket>()
  const proxy: FreezingProxy = { url: '', target: 0, hops: [], close: async () => {} }
  const server = createServer((browser) => {
    const upstream = connect(proxy.target, '127.0.0.1')
    const hop: Hop = { openedAt: performance.now(), events: false, pings: 0, lastForwardedAt: performance.now(), frozen: false, cut: () => {
      browser.destroy()
      upstream.destroy()
    } }
    proxy.hops.push(hop)
    for (const socket of [browser, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
    }
    browser.on('data', (chunk: Buffer) => {
      hop.events ||= chunk.toString('latin1').includes('GET /__live_assets/events')
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (hop.frozen)
        return
      hop.pings += chunk.toString('utf8').split('event: ping').length - 1
      hop.lastForwardedAt = performance.now()
      browser.write(chunk)
    })
    browser.on('close', () => {
      hop.closedAt ??= performance.now()
      upstream.destroy()
    })
    upstream.on('close', () => browser.destroy())
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  proxy.close = () => new Promise((resolve) => {
    sockets.forEach(socket => socket.destroy())
    server.close(() => resolve())
  })
  return proxy
}
