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

function openHere({ url, events, onMessage, onFailure }: SourceOptions): CloseSource {
  const source = new EventSource(url)
  let closed = false
  for (const name of events) {
    source.addEventListener(name, (event) => {
      // A connection failure is also an `error` event on the EventSource, but not a message.
      if (event instanceof MessageEvent && !closed)
        onMessage(name, event.data, event.lastEventId)
    })
  }
  source.onerror = (event) => {
    // The server's `error` event (a build error) arrives here too, as a message. WebKit fires `error` on a stream
    // closed in `pagehide` when the page comes back from the cache.
    if (!(event instanceof MessageEvent) && !closed)
      onFailure(source.readyState === EventSource.CLOSED)
  }
  return () => {
    closed = true
    source.close()
  }
}

function openInWorker(options: SourceOptions): CloseSource {
  const script = URL.createObjectURL(new Blob([`(${relay})()`], { type: 'text/javascript' }))
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
  worker.onmessage = ({ data: [name, data, id] }: MessageEvent<[string, string | boolean, string?]>) => {
    started = true
    // Messages already on their way when the worker was terminated.
    if (closed)
      return
    if (name)
      options.onMessage(name, data as string, id!)
    else
      options.onFailure(data as boolean)
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

/**
 * The worker's whole script, serialised with `toString`: it may use only its own names and the worker's globals.
 * It posts `[name, data, id]` for a message and `['', refused]` for a failure.
 */
function relay(): void {
  onmessage = ({ data: [url, events] }: MessageEvent<[string, string[]]>) => {
    const source = new EventSource(url)
    for (const name of events) {
      source.addEventListener(name, (event) => {
        if (event instanceof MessageEvent)
          postMessage([name, event.data, event.lastEventId])
      })
    }
    source.onerror = (event) => {
      if (!(event instanceof MessageEvent))
        postMessage(['', source.readyState === EventSource.CLOSED])
    }
  }
}
