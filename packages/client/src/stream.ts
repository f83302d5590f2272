/**
 * How a tab gets its events: from the shared worker, else from the leader tab, else (no Web Locks:
 * a page on plain http that is not localhost) over a connection of its own. The stream is closed on
 * `pagehide`, so the page stays eligible for the back/forward cache, and reopened on `pageshow`,
 * catching up with what it missed.
 */
import type { ClientConfig } from '../../core/src/protocol'
import type { Hub, Message } from './hub'
import { EVENTS } from '../../core/src/protocol'
import { BYE, createHub } from './hub'

export interface StreamOptions {
  url: URL
  /** The served client script: the shared worker's script. */
  workerUrl: URL
  config: ClientConfig
  onEvent: (name: string, data?: any) => void
  log: (message: string) => void
}

interface Letter {
  /** For one tab only: the greeting it asked for. */
  to?: string
  message?: Message
  /** A new tab's id: it asks the leader for the greeting. */
  hi?: string
}

/** @returns how to close the stream for good */
export function openStream({ url, workerUrl, config, onEvent, log }: StreamOptions): () => void {
  /** The newest event id this tab has applied. */
  let seen = ''
  let stop = start(false)
  const onHide = (): void => {
    stop()
    stop = () => {}
  }
  const onShow = (event: PageTransitionEvent): void => {
    if (event.persisted)
      stop = start(true)
  }
  addEventListener('pagehide', onHide)
  addEventListener('pageshow', onShow)
  return () => {
    onHide()
    removeEventListener('pagehide', onHide)
    removeEventListener('pageshow', onShow)
  }

  /** `resuming`: back from the back/forward cache, a relayed stream does not replay what this tab missed. */
  function start(resuming: boolean): () => void {
    const receive = ([name, data, id = '']: Message, relayed = true): void => {
      onEvent(name, data)
      if (resuming && relayed && name === EVENTS.hello && id !== seen) {
        log('back from the page cache and events were missed: reloading every stylesheet once')
        onEvent(EVENTS.reloadCSS, { files: [] })
      }
      if (name === EVENTS.hello)
        resuming = false
      seen = id || seen
    }
    let close = viaWorker(receive, () => {
      log('the shared worker failed: electing a leader tab instead')
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
    log(`sharing one connection to ${url.href} through a shared worker`)
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
    const post = (letter: Letter): void => channel.postMessage(letter)
    navigator.locks.request(name, { signal: abort.signal }, () => new Promise<void>((resolve) => {
      release = resolve
      log(`leading: this tab holds the connection to ${url.href} for the others`)
      hub = createHub(url, config, (message) => {
        post({ message })
        receive(message, false)
      }, log, seen)
      hub.start()
    })).catch(() => {})
    channel.onmessage = ({ data }: MessageEvent<Letter>) => {
      if (data.hi && hub) {
        for (const message of hub.greeting())
          post({ to: data.hi, message })
      }
      else if (data.message && !hub && (!data.to || data.to === me)) {
        receive(data.message)
      }
    }
    post({ hi: me })
    return () => {
      abort.abort()
      hub?.stop()
      release()
      channel.close()
    }
  }

  function alone(receive: (message: Message, relayed?: boolean) => void): () => void {
    // The server replays what this tab missed from `seen` on.
    const hub = createHub(url, config, message => receive(message, false), log, seen)
    hub.start()
    return hub.stop
  }
}
