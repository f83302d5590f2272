import type { ClientConfig, ErrorPayload, FallbackMode, RenamedFile } from '@live-assets/protocol'
import type { Extras } from './extras'
import type { Message } from './hub'
import type { SwapOutcome } from './swap'
import { EVENTS, ROUTES } from '@live-assets/protocol'
import { DOWN, eventsUrl, REFUSED } from './hub'
import { debug, info, PREFIX, startDebug } from './log'
import { planReload } from './match'
import { hasOtherRoots, INSTANCE } from './roots'
import { collectRefs } from './sheets'
import { openStream } from './stream'
import { needsExtras, pendingClones, swapSheets } from './swap'
import { changedPath, eventTokens, segments } from './url'

export interface LiveAssetsClient {
  /** The events URL this client listens to. */
  readonly url: string
  /** Closes the stream; a later `startClient` starts a new client. */
  close: () => void
}

/** Detail of `live-assets:after-swap`. */
export interface AfterSwapDetail {
  /** The sheets that now show new styles. */
  files: string[]
  durationMs: number
}

/** Detail of `live-assets:before-swap`. */
export interface BeforeSwapDetail {
  /** The changed files named by the event; empty for "every stylesheet". */
  files: string[]
}

type Listener = (...event: Message) => void

/**
 * How a build of the client gets its on-demand extras (`extras.ts`): the classic script loads `url` with the
 * client's CSP nonce, the ES module imports them.
 */
export type LoadExtras = (url: URL, nonce: string) => Promise<Extras>

/** What a window holds at `INSTANCE`: the client, plus the way a same-origin frame joins its connection. */
interface SharedClient extends LiveAssetsClient {
  /** Passes every event (and `disconnect`) to `listener` too, starting with the last `hello`; returns how to leave. */
  listen: (listener: Listener) => () => void
}

type Slot = Record<symbol, SharedClient | undefined>

/**
 * Connects to the live-assets server and keeps the page's stylesheets in sync. Safe to call again:
 * a window only ever has one client, one connection and one set of listeners. In a frame whose
 * same-origin parent (or grandparent...) already runs a client for the same server, it uses that
 * client's connection instead of opening its own.
 * @param config what the server filled in
 * @param scriptUrl the URL this script was loaded from; `base` is resolved against it when `config.origin` is not set
 * @param loadExtras how this build gets the parts few pages need, the first time one does
 */
export function startClient(config: ClientConfig, scriptUrl: string | undefined, loadExtras: LoadExtras): LiveAssetsClient {
  const global = window as unknown as Slot
  const existing = global[INSTANCE]
  if (existing)
    return existing

  startDebug(config)
  const url = eventsUrl(config, scriptUrl ?? location.href)
  // Under a Content-Security-Policy with a nonce, the overlay's <style> needs the nonce our <script> tag carries.
  const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce || document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce
  const upstream = ancestorClient()
  // An older client in the parent cannot share, and one for another server must not.
  const shared = upstream?.listen && upstream.url === url.href ? upstream : undefined
  const origins = [location.origin, url.origin]
  /** The changed files of an event that are ours to look at (see `changedPath`). */
  const pathsOf = (files: string[]): string[] => files.map(file => changedPath(file, origins)).filter(Boolean) as string[]
  // A hand-written config (the ES module's) may name none.
  const fallback: FallbackMode = config.fallback === 'page' || config.fallback === 'none' ? config.fallback : 'stylesheets'
  const emit = (name: string, detail?: unknown): void => {
    dispatchEvent(new CustomEvent(`live-assets:${name}`, { detail }))
  }

  let epoch: string | undefined
  /** After a server restart we refresh everything once; its catch-up "refresh everything" is then a duplicate. */
  let restartRefreshed = false
  /** The cache-busting token of each swap, from its event's id. */
  const tokenOf = eventTokens()

  // Every endpoint is a sibling of the events URL.
  const extrasUrl = new URL(`.${ROUTES.extras}`, url)
  let extras: Extras | undefined
  /** Set while the extras load: the events that arrive meanwhile wait for them, so every event still acts in order. */
  let waiting: Promise<void> | undefined
  function enqueue(step: () => unknown): void {
    const queued: Promise<void> = waiting = (waiting ?? Promise.resolve())
      .then(step)
      .catch(error => console.error(PREFIX, error))
      .then(() => {
        if (waiting === queued)
          waiting = undefined
      })
  }
  /** Runs `task` with the extras, loading them first if this page has not needed them yet; `otherwise` if they fail to load. */
  function withExtras(task: (extras: Extras) => void, otherwise?: () => void): void {
    if (extras)
      return task(extras)
    enqueue(async () => {
      try {
        extras ??= await loadExtras(extrasUrl, nonce ?? '')
      }
      catch (error) {
        console.warn((error as Error).message)
        return otherwise?.()
      }
      task(extras)
    })
  }

  function onEvent(...event: Message): void {
    if (waiting)
      enqueue(() => handle(...event))
    else
      handle(...event)
  }

  function handle(...[name, data, id]: Message): void {
    if (name === DOWN)
      return emit(name)
    // A frame leaves it to the window that owns the connection, as it does the overlay.
    if (name === REFUSED)
      return shared ? undefined : withExtras(extras => extras.sayRefused(url))
    debug?.(`${name} ${JSON.stringify(data)}`)
    switch (name) {
      case EVENTS.hello: {
        const restarted = epoch !== undefined && epoch !== data.epoch
        epoch = data.epoch
        emit('connect', data)
        // The server follows every `hello` with the build error still pending: none may be a stale one.
        clearOverlay()
        restartRefreshed = restarted
        if (restarted) {
          debug?.('the server restarted: reloading every stylesheet once')
          reloadCSS([], [])
        }
        return
      }
      case EVENTS.reloadCSS: {
        const { files = [], renamed = [] } = data ?? {}
        if (restartRefreshed && !files.length && !renamed.length)
          return void (restartRefreshed = false)
        restartRefreshed = false
        return reloadCSS(files, renamed, id)
      }
      case EVENTS.reloadAssets: {
        const files = pathsOf(data?.files ?? [])
        if (!files.length)
          return debug?.('ignored paths on other origins or with other schemes')
        return withExtras(extras => void extras.reloadAssets(files, tokenOf(id)).then(count => count
          ? info(`refreshed ${names(files)} in ${count} place(s)`)
          : debug?.(`no image or asset on this page uses ${names(files)}`)))
      }
      case EVENTS.reload:
        info(`reloading the page${data?.reason ? `: ${data.reason}` : ''}`)
        return location.reload()
      case EVENTS.error:
        return reportError(data)
      case EVENTS.clearError:
        restartRefreshed = false
        return clearOverlay()
      default:
        restartRefreshed = false
    }
  }

  /**
   * Whose error the overlay shows: the server's (a build error, resolved by its `clearError`) or this page's own (a
   * swap that could not load its sheet, resolved by the next swap that works).
   */
  let shown: 'server' | 'swap' | undefined
  function reportError(error: ErrorPayload, by: 'server' | 'swap' = 'server'): void {
    console.error(PREFIX, error.message)
    const done = (): void => emit('error', error)
    // A frame leaves the overlay to the window that owns the connection: one overlay, one Escape.
    if (!config.overlay || shared)
      return done()
    withExtras((extras) => {
      extras.showOverlay(error, nonce)
      shown = by
      done()
    }, done)
  }
  function clearOverlay(): void {
    // Without the extras no overlay was ever shown.
    extras?.hideOverlay()
    shown = undefined
  }

  /** `id`: the event's, for a swap of the files it names (see `eventTokens`). */
  function reloadCSS(rawFiles: string[], rawRenamed: RenamedFile[], id?: string): void {
    const startedAt = performance.now()
    const files = pathsOf(rawFiles)
    const renamed = rawRenamed
      .map(({ from, to }) => ({ from: changedPath(from, origins)!, to: changedPath(to, origins)! }))
      .filter(({ from, to }) => from && to)
    const named = rawFiles.length + rawRenamed.length
    if (debug && files.length + renamed.length < named)
      debug('ignored paths on other origins or with other schemes')
    if (named && !files.length && !renamed.length)
      return
    // A refresh of every stylesheet may follow missed events, whose versions no earlier fetch can stand for.
    swapFiles(files, renamed, startedAt, tokenOf(named ? id : undefined))
  }

  /** `files` and `renamed` went through `changedPath`; `startedAt` is when the event came. */
  function swapFiles(files: string[], renamed: RenamedFile[], startedAt: number, token: string): void {
    // Renamed outputs are followed by the extras, and shadow roots and frames walked by them.
    if (!extras && (renamed.length || hasOtherRoots()))
      return withExtras(() => swapFiles(files, renamed, startedAt, token))
    const refs = collectRefs(pendingClones, extras?.eachRoot)
    const exact = planReload(files, renamed, refs, extras?.renamedUrl)
    const plan = exact.matched || fallback !== 'stylesheets' ? exact : planReload([], [], refs)
    if (!extras && needsExtras(plan.jobs))
      return withExtras(() => swapFiles(files, renamed, startedAt, token))
    if (!exact.matched) {
      // The option it names is what decides what happens next, and what to change.
      info(`no stylesheet on this page matches ${names(files)} (fallback: '${fallback}')`)
      if (fallback === 'page')
        return location.reload()
      if (fallback === 'none')
        return
    }
    debug?.(`swapping ${plan.jobs.length} sheet(s)`)
    if (!plan.jobs.length)
      return
    emit('before-swap', { files } satisfies BeforeSwapDetail)
    void Promise.resolve(extras?.followFingerprints(plan.jobs, debug)).then(() => swapSheets(plan.jobs, token, startedAt, extras)).then(report)
  }

  function report({ swapped, failed, durationMs }: SwapOutcome): void {
    if (swapped.length) {
      info(`swapped ${names(swapped)} in ${durationMs} ms`)
      emit('after-swap', { files: swapped, durationMs } satisfies AfterSwapDetail)
    }
    if (swapped.length && !failed.length && shown === 'swap')
      clearOverlay()
    for (const { url, message } of failed)
      reportError({ message, file: url }, 'swap')
  }

  let close: () => void
  let listen: SharedClient['listen']
  if (shared) {
    // The frame's own document, realm and config handle the events; only the stream is shared.
    listen = shared.listen
    close = listen(onEvent)
    // A page put in the back/forward cache comes back with its frames: only a frame that goes for good leaves.
    addEventListener('pagehide', event => event.persisted || close())
    debug?.(`sharing the connection of a parent window to ${url.href}`)
  }
  else {
    const listeners = new Set<Listener>([onEvent])
    let hello: Message | undefined
    const deliver: Listener = (...event) => {
      if (event[0] === EVENTS.hello)
        hello = event
      else if (debug && event[0] === DOWN)
        debug('disconnected')
      for (const listener of listeners)
        listener(...event)
    }
    listen = (listener) => {
      listeners.add(listener)
      if (hello)
        listener(...hello)
      return () => void listeners.delete(listener)
    }
    close = openStream({
      url,
      workerUrl: new URL(`.${ROUTES.client}`, url),
      config,
      onEvent: deliver,
    })
    debug?.(`connecting to ${url.href}`)
  }

  const client: SharedClient = {
    url: url.href,
    listen,
    close() {
      close()
      global[INSTANCE] = undefined
    },
  }
  return global[INSTANCE] = client
}

/** The client of the nearest same-origin ancestor window; a cross-origin one throws when read. */
function ancestorClient(): SharedClient | undefined {
  for (let w: Window = window; w !== w.parent;) {
    w = w.parent
    try {
      const client = (w as unknown as Slot)[INSTANCE]
      if (client)
        return client
    }
    catch {}
  }
}

/** The file names of `urls`, for a console line. */
function names(urls: string[]): string {
  return urls.map(url => segments(new URL(url, location.href).pathname).pop() ?? url).join(', ')
}
