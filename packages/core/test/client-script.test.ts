import type { ClientConfig } from '@live-assets/protocol'
import { describe, expect, it } from 'vitest'
import { renderClient } from '../src/client-script'

const config: ClientConfig = { base: '/__live_assets', heartbeatMs: 45_000, fallback: 'stylesheets', overlay: true, debug: false }

/** One text of each module's debug lines: the build every page loads carries none of them. */
const DEBUG_TEXTS = [
  'connecting to ', // client.ts
  'swapping ',
  'the server restarted',
  'ignored paths on other origins',
  'disconnected',
  'reconnecting in', // connection.ts
  'the stream broke',
  'no event for ',
  'through a shared worker', // stream.ts
  'the shared worker failed',
  'leading: this tab',
  'back from another page',
]

describe('renderClient', () => {
  it('serves the build without debug lines unless debug is on', () => {
    const code = renderClient(config)
    expect(code).toContain(JSON.stringify(config))
    expect(code).not.toContain('console.debug')
    for (const text of DEBUG_TEXTS)
      expect(code, text).not.toContain(text)
  })

  it('serves the build with every debug line for debug: true', () => {
    const debug = { ...config, debug: true }
    const code = renderClient(debug)
    expect(code).toContain(JSON.stringify(debug))
    expect(code).toContain('console.debug')
    for (const text of DEBUG_TEXTS)
      expect(code, text).toContain(text)
  })
})
