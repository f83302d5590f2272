import { describe, expect, it } from 'vitest'
import { redisBus } from '../src'

describe('redisBus()', () => {
  it('names itself by its URL without the credentials, for messages and /stats', () => {
    expect(redisBus().name).toBe('redis://127.0.0.1:6379')
    expect(redisBus({ url: 'redis://user:s3cret@cache.internal:6380/2' }).name).toBe('redis://cache.internal:6380/2')
    expect(redisBus({ url: 'rediss://:s3cret@cache.internal' }).name).not.toContain('s3cret')
  })

  it('refuses a URL it cannot parse, at once, saying what it expects', () => {
    expect(() => redisBus({ url: 'localhost:6379 ' })).toThrow(/^\[live-assets\] the Redis URL must look like redis:\/\/127\.0\.0\.1:6379 \(rediss:\/\/ for TLS\); got "localhost:6379 "\./)
  })
})
