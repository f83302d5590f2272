/**
 * The text/event-stream wire format, and nothing else.
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */

/** Response headers of every stream. No `Connection` header: it is illegal on HTTP/2 and implied on HTTP/1.1. */
export const STREAM_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  // `no-transform` also keeps compression middleware (webpack-dev-server's) from buffering the stream.
  'Cache-Control': 'no-cache, no-transform',
  // nginx buffers proxied responses unless told otherwise.
  'X-Accel-Buffering': 'no',
}

const LINE_BREAK = /\r\n|\r|\n/

/** Event names and ids become whole lines: anything that could break out of the line is refused. */
const SAFE_FIELD = /^[^\r\n\0]*$/

export interface SSEMessage {
  event?: string
  /** Sent as is when a string (split on every line break), else as JSON. */
  data: unknown
  id?: string
}

/** Encodes one message. Input can never produce an `event:`, `id:` or `retry:` line of its own. */
export function encodeMessage({ event, data, id }: SSEMessage): string {
  let out = ''
  if (id !== undefined) {
    assertField('id', id)
    out += `id: ${id}\n`
  }
  if (event !== undefined) {
    assertField('event', event)
    out += `event: ${event}\n`
  }
  const text = typeof data === 'string' ? data : JSON.stringify(data ?? null)
  for (const line of text.split(LINE_BREAK))
    out += `data: ${line}\n`
  return `${out}\n`
}

/** A comment line: ignored by parsers, useful to push bytes through proxies. */
export function encodeComment(text: string): string {
  return `${text.split(LINE_BREAK).map(line => `: ${line}`).join('\n')}\n\n`
}

/** Tells the browser how long to wait before reconnecting on its own. */
export function encodeRetry(ms: number): string {
  return `retry: ${Math.max(0, Math.floor(ms))}\n\n`
}

function assertField(name: string, value: string): void {
  if (!SAFE_FIELD.test(value))
    throw new TypeError(`[live-assets] SSE ${name} ${JSON.stringify(value)} contains a line break or NUL: use a single-line ${name}.`)
}
