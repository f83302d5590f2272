import type { Browser } from 'playwright-core'
import { chromium } from 'playwright-core'
import { inject } from 'vitest'

let browser: Promise<Browser> | undefined

/** The one Chromium of this run, launched by the global setup. */
export function getBrowser(): Promise<Browser> {
  browser ??= chromium.connect(inject('wsEndpoint'))
  return browser
}
