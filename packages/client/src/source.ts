/**
 * The raw event stream under the connection: named events and failures, nothing else. A page's
 * stream is opened in a dedicated worker of its own: Firefox keeps a page that has had an open
 * EventSource out of the back/forward cache, even one closed in `beforeunload`, but an EventSource
 * of a worker does not count (nor in Chromium and WebKit). Where such a worker may not run (a
 * Content-Security-Policy without `blob:` in `worker-src`), in a worker already, or with no
 * `Worker` at all, the EventSource is the page's own.
 */

export interface SourceOptions {
  url: URL
  /** Event names to listen for (an EventSource only delivers named events to named listeners). */
  events: readonly string[]
  /** A message of the server; `id` is its event id, empty for a `ping`. */
  onMessage: (name: string, data: string, id: string) => void
  /** The connection failed; `refused`: the browser gave up on it (a non-200 answer, a wrong type). */
  onFailure: (refused: boolean) => void
}

/** Closes the stream; no callback runs after it. */
export type CloseSource = () => void

/** Set once a worker was refused: every later stream of this page is its own. */
let workersRefused = typeof Worker !== 'function' || typeof document === 'undefined'

export function openSource(options: SourceOptions): CloseSource {
  return workersRefused ? openHere(options) : openInWorker(options)
}

function openHere(options: SourceOptions): CloseSource {
  let closed = false
  const source = listen(options.url.href, options.events, message => closed || deliver(options, message))
  return () => {
    closed = true
    source.close()
  }
}

function openInWorker(options: SourceOptions): CloseSource {
  const script = URL.createObjectURL(new Blob([`(${relay})(${listen})`], { type: 'text/javascript' }))
  let worker: Worker
  try {
    worker = new Worker(script)
  }
  catch {
    URL.revokeObjectURL(script)
    workersRefused = true
    return openHere(options)
  }
  URL.revokeObjectURL(script)
  let close = (): void => worker.terminate()
  let started = false
  let closed = false
  worker.onmessage = ({ data }: MessageEvent<Relayed>) => {
    started = true
    // Messages already on their way when the worker was terminated.
    if (!closed)
      deliver(options, data)
  }
  // The worker could not start: the policy refused it (Firefox and WebKit say so here, Chromium may throw above).
  worker.onerror = (event) => {
    event.preventDefault()
    if (started || closed)
      return
    worker.terminate()
    workersRefused = true
    close = openHere(options)
  }
  worker.postMessage([options.url.href, options.events])
  return () => {
    closed = true
    close()
  }
}

/** A message of the server, `[name, data, id]`, or a failure, `['', refused]`. */
type Relayed = [name: string, data: string, id: string] | [name: '', refused: boolean]

function deliver({ onMessage, onFailure }: SourceOptions, [name, data, id]: Relayed): void {
  if (name)
    onMessage(name, data as string, id!)
  else
    onFailure(data as boolean)
}

/**
 * The EventSource, in the page or in its worker: it posts what `deliver` takes. Serialised with `toString` for the
 * worker, so it may use only its own names and the globals that pages and workers share.
 */
function listen(url: string, events: readonly string[], post: (message: Relayed) => void): EventSource {
  const source = new EventSource(url)
  for (const name of events) {
    source.addEventListener(name, (event) => {
      // A connection failure is also an `error` event on the EventSource, but not a message.
      if (event instanceof MessageEvent)
        post([name, event.data, event.lastEventId])
    })
  }
  source.onerror = (event) => {
    // The server's `error` event (a build error) arrives here too, as a message. WebKit fires `error` on a stream
    // closed in `pagehide` when the page comes back from the cache.
    if (!(event instanceof MessageEvent))
      post(['', source.readyState === EventSource.CLOSED])
  }
  return source
}

/** The worker's whole script, serialised with `toString` like the `listen` it is given. */
function relay(open: typeof listen): void {
  onmessage = ({ data: [url, events] }: MessageEvent<[string, string[]]>) => open(url, events, postMessage)
}
