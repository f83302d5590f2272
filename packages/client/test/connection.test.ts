import { describe, expect, it } from 'vitest'
import { retryDelay } from '../src/connection'

describe('retryDelay', () => {
  const remote = new URL('http://dev.example.com:35729/__live_assets/events')

  it('doubles from 0.5 s up to 30 s for a remote server, in the upper half of each step', () => {
    expect([0, 1, 2, 3, 10].map(attempt => retryDelay(attempt, remote, 0))).toEqual([250, 500, 1000, 2000, 15_000])
    expect([0, 1, 2, 3, 10].map(attempt => retryDelay(attempt, remote, 0.999_999))).toEqual([500, 1000, 2000, 4000, 30_000])
  })

  it('stays under a second for a server on loopback, however many attempts failed', () => {
    for (const host of ['localhost', 'app.localhost', '127.0.0.1', '127.1.2.3', '[::1]']) {
      const url = new URL(`http://${host}:35729/__live_assets/events`)
      expect([0, 1, 5, 50].map(attempt => retryDelay(attempt, url, 0.999_999))).toEqual([500, 800, 800, 800])
    }
    expect(retryDelay(50, new URL('http://127.example.com/'), 0)).toBe(15_000)
  })
})
