import type { EventSourceMessage } from 'eventsource-parser'
import { Buffer } from 'node:buffer'
import { createParser } from 'eventsource-parser'
import { describe, expect, it } from 'vitest'
import { encodeComment, encodeMessage, encodeRetry } from '../src/sse'

function parse(text: string): { events: EventSourceMessage[], retry?: number } {
  const out: { events: EventSourceMessage[], retry?: number } = { events: [] }
  const parser = createParser({ onEvent: e => out.events.push(e), onRetry: (ms) => {
    out.retry = ms
  } })
  parser.feed(text)
  return out
}

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0
    return seed / 2 ** 32
  }
}

const NASTY = ['\r', '\n', '\r\n', '\n\r', '\0', '\u2028', '\u2029', '\uFEFF', ':', ' ', 'data:', 'event: x', 'id: 1', 'retry: 0', 'é', '😀', '\uD800']

function randomString(next: () => number): string {
  let out = ''
  const length = Math.floor(next() * 40)
  for (let i = 0; i < length; i++)
    out += next() < 0.5 ? NASTY[Math.floor(next() * NASTY.length)] : String.fromCharCode(32 + Math.floor(next() * 95))
  return out
}

describe('encodeMessage', () => {
  it('writes id, event and one data line per line of input', () => {
    expect(encodeMessage({ id: 'e-1', event: 'reloadCSS', data: 'a\r\nb\rc\nd' }))
      .toBe('id: e-1\nevent: reloadCSS\ndata: a\ndata: b\ndata: c\ndata: d\n\n')
  })

  it('sends objects as JSON on one line', () => {
    expect(encodeMessage({ event: 'x', data: { files: ['a\nb'] } })).toBe('event: x\ndata: {"files":["a\\nb"]}\n\n')
  })

  it('refuses event names and ids that would break out of their line', () => {
    expect(() => encodeMessage({ event: 'a\nid: 9', data: 1 })).toThrow(/\[live-assets\].*line break/)
    expect(() => encodeMessage({ id: '1\r', data: 1 })).toThrow(/\[live-assets\]/)
    expect(() => encodeMessage({ id: '1\0', data: 1 })).toThrow(/\[live-assets\]/)
  })

  it('round-trips 5,000 random strings through a spec parser, and no input forges a field', () => {
    const next = random(42)
    for (let i = 0; i < 5000; i++) {
      const data = randomString(next)
      const json = { name: randomString(next) }
      const text = encodeMessage({ id: `e-${i}`, event: 'reloadCSS', data }) + encodeMessage({ id: `j-${i}`, event: 'x', data: json })
      const { events, retry } = parse(text)
      expect(retry).toBeUndefined()
      expect(events).toHaveLength(2)
      // The spec turns every CR, LF and CRLF into LF.
      expect(events[0]).toMatchObject({ id: `e-${i}`, event: 'reloadCSS', data: data.replace(/\r\n|\r/g, '\n') })
      expect(events[1]).toMatchObject({ id: `j-${i}`, event: 'x' })
      expect(JSON.parse(events[1].data)).toEqual(JSON.parse(JSON.stringify(json)))
      for (const line of text.split('\n'))
        expect(line).toMatch(/^(?:data: [^\r]*|event: \w+|id: [\w-]+)?$/)
    }
  })

  it('emits no byte order mark', () => {
    expect(Buffer.from(encodeMessage({ event: 'x', data: '\uFEFFa' }))[0]).not.toBe(0xEF)
  })
})

describe('encodeComment and encodeRetry', () => {
  it('comments are invisible to a parser, even with line breaks', () => {
    expect(parse(encodeComment('hi\ndata: boom') + encodeRetry(1500))).toEqual({ events: [], retry: 1500 })
  })
})
