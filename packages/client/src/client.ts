import type { ClientConfig, ErrorPayload, RenamedFile } from '@live-assets/protocol'
import type { Relayed } from './hub'
import type { SwapJob } from './match'
import type { Owner } from './sheets'
import type { SwapOutcome } from './swap'
import { DEFAULT_BASE, EVENTS, ROUTES } from '@live-assets/protocol'
import { reloadAssets } from './assets'
import { DOWN, eventsUrl } from './hub'
import { planReload } from './match'
import { hideOverlay, showOverlay } from './overlay'
import { INSTANCE } from './roots'
import { collectRefs } from './sheets'
import { openStream } from './stream'
import { pendingClones, swapSheets } from './swap'
import { changedPath, freshToken, segments, unversioned } from './url'

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

type Listener = (...event: Relayed) => void

/** What a window holds at `INSTANCE`: the client, plus the way a same-origin frame joins its connection. */
interface SharedClient extends LiveAssetsClient {
  /** Passes every event (and `disconnect`) to `listener` too, starting with the last `hello`; returns how to leave. */
  listen: (listener: Listener) => () => void
}

type Slot = Record<symbol, SharedClient | undefined>

const PREFIX = '[live-assets]'

/** The console is this client's only UI besides the overlay: one line per swap is the point. */
function info(message: string): void {
  // eslint-disable-next-line no-console
  console.info(PREFIX, message)
}

/**
 * Connects to the live-assets server and keeps the page's stylesheets in sync. Safe to call again:
 * a window only ever has one client, one connection and one set of listeners. In a frame whose
 * same-origin parent (or grandparent...) already runs a client for the same server, it uses that
 * client's connection instead of opening its own.
 * @param config what the server filled in
 * @param scriptUrl the URL this script was loaded from; `base` is resolved against it when `config.origin` is not set
 */
export function startClient(config: ClientConfig, scriptUrl?: string): LiveAssetsClient {
  const global = window as unknown as Slot
  const existing = global[INSTANCE]
  if (existing)
    return existing

  const url = eventsUrl(config, scriptUrl ?? location.href)
  // Under a Content-Security-Policy with a nonce, the overlay's <style> needs the nonce our <script> tag carries.
  const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce || document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce
  const upstream = ancestorClient()
  // An older client in the parent cannot share, and one for another server must not.
  const shared = upstream?.listen && upstream.url === url.href ? upstream : undefined
  const origins = [location.origin, url.origin]
  const debug = (message: string): void => {
    if (config.debug)
      // eslint-disable-next-line no-console
      console.debug(PREFIX, message)
  }
  const emit = (name: string, detail?: unknown): void => {
    dispatchEvent(new CustomEvent(`live-assets:${name}`, { detail }))
  }

  let epoch: string | undefined
  /** After a server restart we refresh everything once; its catch-up "refresh everything" is then a duplicate. */
  let restartRefreshed = false

  function onEvent(...[name, data]: Relayed): void {
    if (name === DOWN)
      return emit(name)
    debug(`${name} ${JSON.stringify(data)}`)
    switch (name) {
      case EVENTS.hello: {
        const restarted = epoch !== undefined && epoch !== data.epoch
        epoch = data.epoch
        emit('connect', data)
        // The server follows every `hello` with the build error still pending: none may be a stale one.
        clearOverlay()
        restartRefreshed = restarted
        if (restarted) {
          debug('the server restarted: reloading every stylesheet once')
          reloadCSS([], [])
        }
        return
      }
      case EVENTS.reloadCSS: {
        const { files = [], renamed = [] } = data ?? {}
        if (restartRefreshed && !files.length && !renamed.length)
          return void (restartRefreshed = false)
        restartRefreshed = false
        return reloadCSS(files, renamed)
      }
      case EVENTS.reloadAssets: {
        const files = (data?.files ?? [])
          .map(file => changedPath(file, origins))
          .filter(Boolean) as string[]
        const names = files.map(baseName).join(', ')
        return void reloadAssets(files, freshToken()).then(count => count
          ? info(`refreshed ${names} in ${count} place(s)`)
          : debug(`no image or asset on this page uses ${names}`))
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
    // A frame leaves the overlay to the window that owns the connection: one overlay, one Escape.
    if (config.overlay && !shared) {
      showOverlay(error, nonce)
      shown = by
    }
    emit('error', error)
  }
  function clearOverlay(): void {
    hideOverlay()
    shown = undefined
  }

  function reloadCSS(rawFiles: string[], rawRenamed: RenamedFile[]): void {
    const startedAt = performance.now()
    const files = rawFiles.map(file => changedPath(file, origins)).filter(Boolean) as string[]
    const renamed = rawRenamed
      .map(({ from, to }) => ({ from: changedPath(from, origins)!, to: changedPath(to, origins)! }))
      .filter(({ from, to }) => from && to)
    if (files.length + renamed.length < rawFiles.length + rawRenamed.length)
      debug('ignored paths on other origins or with other schemes')
    if (rawFiles.length + rawRenamed.length && !files.length && !renamed.length)
      return

    const refs = collectRefs(pendingClones)
    let plan = planReload(files, renamed, refs)
    if (!plan.matched) {
      const names = files.map(baseName).join(', ')
      if (config.fallback === 'page') {
        info(`no stylesheet on this page matches ${names}: reloading the page (fallback: 'page')`)
        return location.reload()
      }
      if (config.fallback === 'none')
        return info(`no stylesheet on this page matches ${names}: ignoring it (fallback: 'none')`)
      info(`no stylesheet on this page matches ${names}: reloading every stylesheet (fallback: 'stylesheets')`)
      plan = planReload([], [], refs)
    }
    debug(`swapping ${plan.jobs.length} sheet(s)`)
    if (!plan.jobs.length)
      return
    emit('before-swap', { files } satisfies BeforeSwapDetail)
    void followFingerprints(plan.jobs).then(() => swapSheets(plan.jobs, freshToken(), startedAt)).then(report)
  }

  /**
   * A fingerprinted sheet (`app-1a2b3c4d.css`) gets a new name with its new content, and the old one may answer 404
   * (Propshaft in development): the page as the server renders it now names the new URL (Hotwire Spark's way, for
   * any backend). The new sheet brings the new URLs of what it imports.
   */
  async function followFingerprints(jobs: SwapJob<Owner>[]): Promise<void> {
    // A link's own URL; an imported partial matched it through the link that imports it.
    const own = (job: SwapJob<Owner>): string | undefined => job.url ?? ('localName' in job.owner && job.owner.localName === 'link' ? (job.owner as HTMLLinkElement).href : undefined)
    if (!jobs.some(job => job.fingerprinted && own(job)))
      return
    const current = new Map<string, string>()
    try {
      const html = await (await fetch(location.href, { cache: 'no-store', headers: { Accept: 'text/html' } })).text()
      for (const link of new DOMParser().parseFromString(html, 'text/html').querySelectorAll('link[rel~="stylesheet" i][href]')) {
        const url = new URL(link.getAttribute('href')!, location.href)
        current.set(unversioned(url), url.href)
      }
    }
    catch (error) {
      debug(`could not read the page for the new names of fingerprinted stylesheets: ${(error as Error).message}`)
    }
    for (const job of jobs) {
      const url = job.fingerprinted && own(job)
      const href = url ? current.get(unversioned(new URL(url))) : undefined
      if (href) {
        job.href = href
        job.imports = []
      }
    }
  }

  function report({ swapped, failed, durationMs }: SwapOutcome): void {
    if (swapped.length) {
      info(`swapped ${swapped.map(baseName).join(', ')} in ${durationMs} ms`)
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
    debug(`sharing the connection of a parent window to ${url.href}`)
  }
  else {
    const listeners = new Set<Listener>([onEvent])
    let hello: Relayed | undefined
    const deliver: Listener = (...event) => {
      if (event[0] === EVENTS.hello)
        hello = event
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
      workerUrl: new URL((config.base ?? DEFAULT_BASE) + ROUTES.client, url),
      config,
      onEvent: (...event) => {
        if (event[0] === DOWN)
          debug('disconnected')
        deliver(...event)
      },
      log: debug,
    })
    debug(`connecting to ${url.href}`)
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

function baseName(url: string): string {
  return segments(new URL(url, location.href).pathname).pop() ?? url
}
