/**
 * How a tab gets its events: from the shared worker, else from the leader tab, else (no Web Locks:
 * a page on plain http that is not localhost) over a connection of its own. The stream is closed on
 * `beforeunload` and `pagehide`, so the page stays eligible for the back/forward cache, and reopened
 * on `pageshow`, catching up with what it missed.
 */
import type { ClientConfig } from '@live-assets/protocol'
import type { Hub, Message } from './hub'
import { EVENTS } from '@live-assets/protocol'
import { BYE, createHub, DOWN } from './hub'
import { debug } from './log'

export interface StreamOptions {
  url: URL
  /** The served client script: the shared worker's script. */
  workerUrl: URL
  config: ClientConfig
  onEvent: (...event: Message) => void
}

interface Letter {
  /** For one tab only: the greeting it asked for. */
  to?: string
  message?: Message
  /** A new tab's id: it asks the leader for the greeting. */
  hi?: string
  /** A visible tab waits for the stream, which is down: the leader reconnects even if it is hidden itself. */
  wake?: boolean
}

/** @returns how to close the stream for good */
export function openStream({ url, workerUrl, config, onEvent }: StreamOptions): () => void {
  /** The newest event id this tab has applied. */
  let seen = ''
  // A page loaded again by "back" (not restored from the cache) gets its stylesheets from the HTTP cache, as they
  // were before any edit: refresh them all once.
  let stop: (() => void) | undefined = start(false, (performance.getEntriesByType?.('navigation')[0] as PerformanceNavigationTiming | undefined)?.type === 'back_forward')
  const onHide = (): void => {
    stop?.()
    stop = undefined
  }
  const onShow = (event: PageTransitionEvent): void => {
    if (event.persisted)
      stop ??= start(true)
  }
  // Firefox decides whether the page may enter the back/forward cache before `pagehide`: a held or requested Web Lock
  // then keeps it out. So let go on `beforeunload`, and come back if the page is still here after all (a cancelled
  // navigation, a download link). An EventSource of the page would keep it out even then: the stream is a worker's
  // (see source.ts).
  const onLeave = (): void => {
    onHide()
    setTimeout(() => stop ??= start(true), 1000)
  }
  addEventListener('pagehide', onHide)
  addEventListener('pageshow', onShow)
  addEventListener('beforeunload', onLeave)
  return () => {
    onHide()
    removeEventListener('pagehide', onHide)
    removeEventListener('pageshow', onShow)
    removeEventListener('beforeunload', onLeave)
  }

  /**
   * `resuming`: back from the back/forward cache, a relayed stream does not replay what this tab missed.
   * `stale`: every stylesheet may be out of date, whatever the stream says.
   */
  function start(resuming: boolean, stale = false): () => void {
    const receive = (message: Message, relayed = true): void => {
      const [name, , id = ''] = message
      onEvent(...message)
      if (name === EVENTS.hello) {
        if (stale || (resuming && relayed && id !== seen)) {
          debug?.('back from another page and events may have been missed: reloading every stylesheet once')
          onEvent(EVENTS.reloadCSS, { files: [] })
        }
        resuming = stale = false
      }
      seen = id || seen
    }
    let close = viaWorker(receive, () => {
      debug?.('the shared worker failed: electing a leader tab instead')
      close = viaLeader(receive) ?? alone(receive)
    }) ?? viaLeader(receive) ?? alone(receive)
    return () => close()
  }

  function viaWorker(receive: (message: Message) => void, fail: () => void): (() => void) | undefined {
    // A shared worker must be same-origin with the page; with a server on another origin the tabs elect a leader.
    if (typeof SharedWorker !== 'function' || workerUrl.origin !== location.origin)
      return
    let worker: SharedWorker
    try {
      worker = new SharedWorker(workerUrl, { name: 'live-assets' })
    }
    catch {
      return
    }
    const { port } = worker
    let failed = false
    worker.onerror = () => {
      failed = true
      port.close()
      fail()
    }
    port.onmessage = ({ data }) => receive(data)
    debug?.(`sharing one connection to ${url.href} through a shared worker`)
    return () => {
      if (!failed) {
        port.postMessage(BYE)
        port.close()
      }
    }
  }

  function viaLeader(receive: (message: Message, relayed?: boolean) => void): (() => void) | undefined {
    if (!navigator.locks || typeof BroadcastChannel !== 'function')
      return
    const name = `live-assets ${url.href}`
    const channel = new BroadcastChannel(name)
    const me = Math.random().toString(36).slice(2)
    const abort = new AbortController()
    let hub: Hub | undefined
    let release = (): void => {}
    /** Leader: a visible tab asked for the stream since it went down. Follower: the stream is down. */
    let waiting = false
    const post = (letter: Letter): void => channel.postMessage(letter)
    // A leader in the background waits to be visible before it reconnects, and its visible followers wait for it.
    const wake = (): void => {
      if (waiting && !hub && !document.hidden)
        post({ wake: true })
    }
    navigator.locks.request(name, { signal: abort.signal }, () => new Promise<void>((resolve) => {
      release = resolve
      debug?.(`leading: this tab holds the connection to ${url.href} for the others`)
      waiting = false
      hub = createHub(url, config, (message) => {
        if (message[0] === EVENTS.hello)
          waiting = false
        post({ message })
        receive(message, false)
      }, seen, () => waiting)
      hub.start()
    })).catch(() => {})
    channel.onmessage = ({ data }: MessageEvent<Letter>) => {
      if (data.wake && hub) {
        waiting = true
        hub.wake()
      }
      else if (data.hi && hub) {
        for (const message of hub.greeting())
          post({ to: data.hi, message })
      }
      else if (data.message && !hub && (!data.to || data.to === me)) {
        waiting = data.message[0] === DOWN || (waiting && data.message[0] !== EVENTS.hello)
        receive(data.message)
        wake()
      }
    }
    document.addEventListener('visibilitychange', wake)
    post({ hi: me })
    return () => {
      abort.abort()
      hub?.stop()
      release()
      channel.close()
      document.removeEventListener('visibilitychange', wake)
    }
  }

  function alone(receive: (message: Message, relayed?: boolean) => void): () => void {
    // The server replays what this tab missed from `seen` on.
    const hub = createHub(url, config, message => receive(message, false), seen)
    hub.start()
    return hub.stop
  }
}
