import type { PluginLogger } from '../src/core/shared/logger'
import { afterEach, describe, expect, it } from 'vitest'
import { resolveOptions } from '../src/core/shared/options'
import { acquireStandalone } from '../src/core/shared/standalone'

function recordingLogger(): PluginLogger & { warnings: string[] } {
  const warnings: string[] = []
  return { warnings, info() {}, debug() {}, error() {}, warn: message => void warnings.push(message) }
}

const leases: { release: () => void }[] = []
afterEach(() => {
  leases.splice(0).forEach(lease => lease.release())
})

describe('acquireStandalone', () => {
  it('starts the shared server with the first user\'s resolved origins and never changes them after', async () => {
    const first = resolveOptions({ port: 0, allowedOrigins: ['http://first.test'] })
    const second = resolveOptions({ port: 0, allowedOrigins: ['http://first.test', 'http://second.test'] })
    const logger = recordingLogger()
    const a = await acquireStandalone(first, logger)
    leases.push(a)
    const b = await acquireStandalone(second, logger)
    leases.push(b)
    expect(b.url).toBe(a.url)

    const stats = await fetch(`${a.url}/__live_assets/stats`, { headers: { Origin: 'http://second.test' } })
    expect(stats.status).toBe(403)
    const allowed = await fetch(`${a.url}/__live_assets/stats`, { headers: { Origin: 'http://first.test' } })
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://first.test')
    expect(first.server.allowedOrigins).toEqual(['http://first.test'])
    expect(Object.isFrozen(first.server.allowedOrigins)).toBe(true)

    const shared = (): string[] => logger.warnings.filter(warning => warning.startsWith('the live server'))
    expect(shared()).toEqual([
      `the live server at ${a.url} is shared by every config on port 0 and was started with allowedOrigins ["http://first.test"], so pages on http://second.test are refused: list the same allowedOrigins in every config of that port, or give this config its own port.`,
    ])
    // Said once, however often that config joins again.
    leases.push(await acquireStandalone(second, logger))
    expect(shared()).toHaveLength(1)
  })
})
