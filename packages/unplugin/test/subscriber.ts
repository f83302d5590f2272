import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach } from 'vitest'

export interface Received {
  event: string
  data: any
}

export interface Subscriber {
  /** Every event but `hello` and `ping`, in order. */
  events: Received[]
  close: () => void
}

/** A page's stream, read with a real `fetch` of the standalone server's events endpoint; resolves after `hello`. */
export async function subscribe(origin: string): Promise<Subscriber> {
  const abort = new AbortController()
  const response = await fetch(`${origin}/__live_assets/events`, { signal: abort.signal })
  if (!response.ok || !response.body)
    throw new Error(`[live-assets] the events endpoint of ${origin} answered ${response.status}`)
  const events: Received[] = []
  let helloSeen = (): void => {}
  const hello = new Promise<void>((resolve) => {
    helloSeen = resolve
  })
  void (async () => {
    let buffer = ''
    const decoder = new TextDecoder()
    try {
      for await (const chunk of response.body!) {
        buffer += decoder.decode(chunk, { stream: true })
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end).split('\n')
          buffer = buffer.slice(end + 2)
          const event = block.find(line => line.startsWith('event: '))?.slice(7) ?? 'message'
          const data = block.filter(line => line.startsWith('data: ')).map(line => line.slice(6)).join('\n')
          if (event === 'hello')
            helloSeen()
          else if (event !== 'ping' && data)
            events.push({ event, data: JSON.parse(data) })
        }
      }
    }
    catch {} // aborted by close()
  })()
  await hello
  return { events, close: () => abort.abort() }
}

/** How many events the server has published so far, from its stats endpoint. */
export async function published(origin: string): Promise<number> {
  const response = await fetch(`${origin}/__live_assets/stats`)
  return (await response.json() as { eventsPublished: number }).eventsPublished
}

/** The live server's origin, read from the client loader or client entry that a watch build put in `code`. */
export function liveOrigin(code: string): string {
  const match = /http(?::|%3A)(?:\/\/|%2F%2F)127\.0\.0\.1(?::|%3A)\d+/.exec(code)
  if (!match)
    throw new Error(`[live-assets] no live server URL in the built entry:\n${code.slice(0, 500)}`)
  return decodeURIComponent(match[0])
}

/** Calls `check` until it returns true; fails after `timeout` ms naming `what`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`[live-assets] timed out after ${timeout} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/** A temp project with `files`, removed after the test. */
export function useProjects(): (files: Record<string, string>) => Promise<string> {
  const dirs: string[] = []
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map(dir => rm(dir, { recursive: true, force: true })))
  })
  return async (files) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'live-assets-unplugin-'))
    dirs.push(dir)
    for (const [name, content] of Object.entries(files)) {
      await writeFile(path.join(dir, name), content)
    }
    return dir
  }
}
