export interface PollOptions {
  /** What is waited for, as the end of "timed out after … waiting for …". */
  what?: string
  /**
   * How long to keep trying, in ms.
   * @default 20_000
   */
  timeout?: number
  /**
   * Pause between two checks, in ms.
   * @default 20
   */
  interval?: number
}

/**
 * Calls `check` until it returns something truthy and returns that. A check that throws counts as not yet (a server
 * still starting refuses its first requests); past the deadline the last such error is part of the message.
 */
export async function poll<T>(check: () => Promise<T> | T, { what = 'the condition', timeout = 20_000, interval = 20 }: PollOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value)
        return value
    }
    catch (error) {
      last = error
    }
    if (Date.now() > deadline)
      throw new Error(`[live-assets] timed out after ${timeout} ms waiting for ${what}${last ? `; the last check failed: ${String(last)}` : ''}`)
    await new Promise(resolve => setTimeout(resolve, interval))
  }
}
